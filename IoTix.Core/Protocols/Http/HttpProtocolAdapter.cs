using System.Collections.Concurrent;
using System.Net;
using IoTix.Core.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IoTix.Core.Protocols.Http;

/// <summary>
/// The built-in HTTP adapter: telemetry as POST or PUT to the model's <c>connection.url</c> over one
/// shared <see cref="SocketsHttpHandler"/> (pooled keep-alive connections), headers and
/// credentials from the model, at most <see cref="HttpOptions.MaxInFlightRequests"/> requests in
/// flight (waiting devices queue fairly, one request per turn), and optional command polling
/// driven by ONE timer of the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed partial class HttpProtocolAdapter : IProtocolAdapter, IAsyncDisposable, IDisposable
{
    private readonly HttpOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SocketsHttpHandler _handler;
    private readonly HttpClient _client;
    private readonly ModelTemplate _defaultCommandPath;
    private readonly ConcurrentQueue<HttpDeviceConnection> _waiting = new();
    private readonly long[] _statusCodes = new long[600];
    private readonly object _pollGate = new();
    private readonly PriorityQueue<HttpDeviceConnection, long> _polls = new();
    private readonly HashSet<HttpDeviceConnection> _polled = [];
    private readonly long _origin;
    private readonly ITimer? _pollTimer;
    private long _pollTimerDueMs = long.MaxValue;
    private int _inFlight;
    private bool _disposed;

    private long _connections, _connectFailures, _published, _dropped, _bytes, _commands;
    private long _requests, _succeeded, _failed, _timeouts, _transportErrors, _commandPolls;

    // failed publishes by reason (PublishFailureCounts); _dropped is their sum without not-connected
    private long _notConnected, _queueFull, _unsent, _unacknowledged, _refused;

    /// <summary>Latency of telemetry requests: sent -> 2xx response.</summary>
    private readonly PublishLatencyHistogram _latency = new();

    public HttpProtocolAdapter(TimeProvider time, IOptions<HttpOptions> options, ILogger<HttpProtocolAdapter> logger)
    {
        _time = time;
        _options = options.Value;
        _logger = logger;
        _defaultCommandPath = ModelTemplate.Parse(_options.DefaultCommandPath);
        _origin = time.GetTimestamp();
        _handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromSeconds(_options.PooledConnectionLifetimeSeconds),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(_options.PooledConnectionIdleTimeoutSeconds),
            MaxConnectionsPerServer = _options.MaxConnectionsPerServer,
            ConnectTimeout = TimeSpan.FromMilliseconds(_options.ConnectTimeoutMs),
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        if (_options.AllowUntrustedCertificates)
        {
            _handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }

        _client = new HttpClient(_handler, disposeHandler: false) { Timeout = TimeSpan.FromMilliseconds(_options.RequestTimeoutMs) };
        if (_options.CommandPollIntervalMs > 0)
        {
            _pollTimer = time.CreateTimer(static s => ((HttpProtocolAdapter)s!).OnPollTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    public string Protocol => "http";

    private long NowMs => (long)_time.GetElapsedTime(_origin).TotalMilliseconds;

    public IDeviceConnection CreateConnection(DeviceConnectionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new HttpDeviceConnection(this, context, _defaultCommandPath);
    }

    public ProtocolAdapterMetrics GetMetrics() => new(
        Interlocked.Read(ref _connections),
        Interlocked.Read(ref _connectFailures),
        Interlocked.Read(ref _published),
        Interlocked.Read(ref _dropped),
        Interlocked.Read(ref _bytes),
        Interlocked.Read(ref _commands))
    {
        Failures = new PublishFailureCounts(
            Interlocked.Read(ref _notConnected),
            Interlocked.Read(ref _queueFull),
            0,
            Interlocked.Read(ref _unsent),
            Interlocked.Read(ref _unacknowledged),
            Interlocked.Read(ref _refused)),
        PublishLatency = _latency.Snapshot(),
    };

    /// <summary>HTTP-specific counters.</summary>
    public HttpAdapterMetrics GetHttpMetrics()
    {
        var codes = new Dictionary<int, long>();
        for (int i = 0; i < _statusCodes.Length; i++)
        {
            long n = Interlocked.Read(ref _statusCodes[i]);
            if (n > 0)
            {
                codes[i] = n;
            }
        }

        return new HttpAdapterMetrics(
            Interlocked.Read(ref _requests), Interlocked.Read(ref _succeeded), Interlocked.Read(ref _failed),
            Interlocked.Read(ref _timeouts), Interlocked.Read(ref _transportErrors), Volatile.Read(ref _inFlight), codes,
            Interlocked.Read(ref _commandPolls));
    }

    internal void CountConnect(HttpDeviceConnection d, string? error)
    {
        if (error is not null)
        {
            Interlocked.Increment(ref _connectFailures);
            LogConnectFailed(_logger, d.DeviceId, error);
            return;
        }

        Interlocked.Increment(ref _connections);
        if (_pollTimer is not null && d.CommandUrls.Length > 0)
        {
            lock (_pollGate)
            {
                if (_polled.Add(d))
                {
                    SchedulePoll(d, NowMs + _options.CommandPollIntervalMs);
                }
            }
        }
    }

    internal void CountNotConnected() => Interlocked.Increment(ref _notConnected);

    /// <summary>A message dropped by the full outbound queue.</summary>
    internal void CountQueueFull() => Drop(ref _queueFull);

    /// <summary>A queued message dropped by a disconnect.</summary>
    internal void CountUnsent() => Drop(ref _unsent);

    internal void CountUnexpected(HttpDeviceConnection d, Exception exception)
    {
        Interlocked.Increment(ref _failed);
        Drop(ref _unacknowledged);
        LogUnexpected(_logger, d.DeviceId, exception);
    }

    private void Drop(ref long reason)
    {
        Interlocked.Increment(ref reason);
        Interlocked.Increment(ref _dropped);
    }

    // ------------------------------------------------------------------ the in-flight bound

    /// <summary>Runs one request of <paramref name="d"/> now if a slot is free, otherwise queues the device (fair: one request per turn).</summary>
    internal void RequestSlot(HttpDeviceConnection d)
    {
        if (TryAcquireSlot())
        {
            ThreadPool.UnsafeQueueUserWorkItem(d, preferLocal: false);
            return;
        }

        _waiting.Enqueue(d);
        DrainWaiting(); // a slot may have been freed between the check and the enqueue
    }

    internal void ReleaseSlot()
    {
        Interlocked.Decrement(ref _inFlight);
        DrainWaiting();
    }

    private bool TryAcquireSlot()
    {
        while (true)
        {
            int current = Volatile.Read(ref _inFlight);
            if (current >= _options.MaxInFlightRequests)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _inFlight, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    private void DrainWaiting()
    {
        while (!_waiting.IsEmpty && TryAcquireSlot())
        {
            if (_waiting.TryDequeue(out var next))
            {
                ThreadPool.UnsafeQueueUserWorkItem(next, preferLocal: false);
            }
            else
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    // ------------------------------------------------------------------ requests

    internal async Task SendAsync(HttpDeviceConnection d, Uri url, byte[] body, int length)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _published);
        Interlocked.Add(ref _bytes, length);
        using var request = new HttpRequestMessage(d.Method, url) { Content = new ByteArrayContent(body, 0, length) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", d.ContentType);
        foreach (var (name, value) in d.Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        long started = _time.GetTimestamp();
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, d.AbortToken).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if ((uint)status < (uint)_statusCodes.Length)
            {
                Interlocked.Increment(ref _statusCodes[status]);
            }

            if (response.IsSuccessStatusCode)
            {
                long us = _time.GetElapsedTime(started).Ticks / TimeSpan.TicksPerMicrosecond;
                _latency.Record(us);
                d.Context.PublishLatency?.Record(us);
                Interlocked.Increment(ref _succeeded);
            }
            else
            {
                Interlocked.Increment(ref _failed);
                Drop(ref _refused);
                LogRequestFailed(_logger, d.DeviceId, status);
            }
        }
        catch (TaskCanceledException) when (!d.AbortToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _timeouts);
            Fail();
        }
        catch (OperationCanceledException)
        {
            Fail(); // aborted by an abrupt disconnect
        }
        catch (HttpRequestException ex)
        {
            Interlocked.Increment(ref _transportErrors);
            Fail();
            LogTransportError(_logger, d.DeviceId, ex.HttpRequestError.ToString(), ex.Message);
        }

        void Fail()
        {
            Interlocked.Increment(ref _failed);
            Drop(ref _unacknowledged);
        }
    }

    // ------------------------------------------------------------------ command polling

    private void SchedulePoll(HttpDeviceConnection d, long dueMs)
    {
        _polls.Enqueue(d, dueMs);
        if (dueMs < _pollTimerDueMs && !_disposed)
        {
            _pollTimerDueMs = dueMs;
            _pollTimer!.Change(TimeSpan.FromMilliseconds(Math.Max(0, dueMs - NowMs)), Timeout.InfiniteTimeSpan);
        }
    }

    private void OnPollTimer()
    {
        List<HttpDeviceConnection>? due = null;
        lock (_pollGate)
        {
            if (_disposed)
            {
                return;
            }

            _pollTimerDueMs = long.MaxValue;
            long now = NowMs;
            while (_polls.TryPeek(out var d, out long at) && at <= now)
            {
                _polls.Dequeue();
                if (!d.IsConnected)
                {
                    _polled.Remove(d); // re-added on the next connect
                    continue;
                }

                (due ??= []).Add(d);
                SchedulePoll(d, at + _options.CommandPollIntervalMs);
            }

            if (_polls.TryPeek(out _, out long next) && next < _pollTimerDueMs)
            {
                _pollTimerDueMs = next;
                _pollTimer!.Change(TimeSpan.FromMilliseconds(Math.Max(0, next - now)), Timeout.InfiniteTimeSpan);
            }
        }

        if (due is null)
        {
            return;
        }

        foreach (var d in due)
        {
            _ = PollAsync(d);
        }
    }

    private async Task PollAsync(HttpDeviceConnection d)
    {
        foreach (var (name, url) in d.CommandUrls)
        {
            Interlocked.Increment(ref _commandPolls);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                foreach (var (header, value) in d.Headers)
                {
                    request.Headers.TryAddWithoutValidation(header, value);
                }

                using var response = await _client.SendAsync(request, d.AbortToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var body = await response.Content.ReadAsByteArrayAsync(d.AbortToken).ConfigureAwait(false);
                    if (body.Length > 0 && d.IsConnected)
                    {
                        Interlocked.Increment(ref _commands);
                        d.Context.Events.CommandReceived(name, body);
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
            {
                LogPollFailed(_logger, d.DeviceId, name, ex.Message);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Stops polling and closes the pooled connections (in-flight requests are cancelled).</summary>
    public void Dispose()
    {
        lock (_pollGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _pollTimer?.Dispose();
        }

        _client.Dispose();
        _handler.Dispose();
    }
}
