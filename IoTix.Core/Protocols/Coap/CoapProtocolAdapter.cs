using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using IoTix.Core.Devices;
using IoTix.Core.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IoTix.Core.Protocols.Coap;

/// <summary>
/// The built-in CoAP client adapter [RFC 7252, RFC 7641]: telemetry as POST/PUT to the model's
/// <c>connection.url</c> (NON for QoS 0, CON for QoS 1 and 2), commands by observing resources.
/// Devices share a pool of connected UDP sockets (<see cref="CoapOptions.DevicesPerSocket"/> per
/// socket) with one receive loop per socket; every timed thing (retransmissions, response
/// timeouts, observation freshness and retries) sits in ONE priority queue on ONE timer of the
/// injected <see cref="TimeProvider"/>. State is guarded by one gate; datagram buffers are pooled.
/// </summary>
internal sealed partial class CoapProtocolAdapter : IProtocolAdapter, IAsyncDisposable, IDisposable
{
    private const int ReceiveBufferBytes = 8192;
    private const long ExchangeLifetimeMs = 247_000; // EXCHANGE_LIFETIME with the default parameters [RFC 7252 4.8.2]
    private const long NotificationReorderWindowMs = 128_000; // [RFC 7641 3.4]
    private const long PingReuseWindowMs = 30_000; // a socket answered this recently needs no new ping to connect

    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly CoapOptions _options;
    private readonly ILogger _logger;
    private readonly ulong _seed;
    private readonly ModelTemplate _defaultCommandPath;
    private readonly long _origin;
    private readonly Dictionary<IPEndPoint, List<CoapEndpoint>> _endpoints = [];
    private readonly List<CoapEndpoint> _allEndpoints = [];
    private readonly Dictionary<ulong, CoapObservation> _observations = [];
    private readonly Dictionary<ulong, CoapExchange> _awaitingResponse = [];
    private readonly PriorityQueue<TimedEntry, long> _timers = new();
    private readonly Stack<CoapExchange> _exchangePool = new();
    private readonly ConcurrentDictionary<string, IPAddress> _resolved = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource _stopping = new();
    private readonly byte[] _scratch;
    private readonly ITimer _timer;
    private long _timerDueMs = long.MaxValue;
    private uint _nextHandle;
    private bool _disposed;

    private long _connections, _connectFailures, _published, _dropped, _bytes, _commands;
    private long _confirmable, _nonConfirmable, _acknowledged, _retransmissions, _timeouts, _resets;
    private long _responses2, _responses4, _responses5, _duplicates, _malformed, _rejected;
    private long _observeRegistrations, _observeReregistrations, _observeFailures, _notifications, _sendErrors;
    private int _inFlight;

    // failed publishes by reason (PublishFailureCounts); _dropped is their sum without not-connected
    private long _notConnected, _queueFull, _tooLarge, _unsent, _unacknowledged, _refused;

    /// <summary>Latency of confirmable telemetry: first transmission -> 2.xx response.</summary>
    private readonly PublishLatencyHistogram _latency = new();

    public CoapProtocolAdapter(TimeProvider time, IOptions<CoapOptions> options, IOptions<SimulationOptions> simulation, ILogger<CoapProtocolAdapter> logger)
    {
        _time = time;
        _options = options.Value;
        _logger = logger;
        _seed = simulation.Value.Seed is { } s ? (ulong)s : 0x10C0_A9ADUL;
        _defaultCommandPath = ModelTemplate.Parse(_options.DefaultCommandPath);
        _origin = time.GetTimestamp();
        _scratch = new byte[CoapMessageWriter.MaxOverhead + _options.MaxPayloadBytes + 4096];
        _timer = time.CreateTimer(static s => ((CoapProtocolAdapter)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public string Protocol => "coap";

    private long NowMs => (long)_time.GetElapsedTime(_origin).TotalMilliseconds;

    public IDeviceConnection CreateConnection(DeviceConnectionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new CoapDeviceConnection(this, context, Interlocked.Increment(ref _nextHandle), _seed, _defaultCommandPath);
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
            Interlocked.Read(ref _tooLarge),
            Interlocked.Read(ref _unsent),
            Interlocked.Read(ref _unacknowledged),
            Interlocked.Read(ref _refused)),
        PublishLatency = _latency.Snapshot(),
    };

    /// <summary>Counts one failed publish under <paramref name="reason"/> and in MessagesDropped.</summary>
    private void Drop(ref long reason)
    {
        Interlocked.Increment(ref reason);
        Interlocked.Increment(ref _dropped);
    }

    /// <summary>CoAP-specific counters.</summary>
    public CoapAdapterMetrics GetCoapMetrics()
    {
        int sockets;
        lock (_gate)
        {
            sockets = _allEndpoints.Count;
        }

        return new CoapAdapterMetrics(
            Interlocked.Read(ref _confirmable), Interlocked.Read(ref _nonConfirmable), Interlocked.Read(ref _acknowledged),
            Interlocked.Read(ref _retransmissions), Interlocked.Read(ref _timeouts), Interlocked.Read(ref _resets),
            Interlocked.Read(ref _responses2), Interlocked.Read(ref _responses4), Interlocked.Read(ref _responses5),
            Interlocked.Read(ref _duplicates), Interlocked.Read(ref _malformed), Interlocked.Read(ref _rejected),
            Interlocked.Read(ref _observeRegistrations), Interlocked.Read(ref _observeReregistrations), Interlocked.Read(ref _observeFailures),
            Interlocked.Read(ref _notifications), Interlocked.Read(ref _sendErrors), sockets, Volatile.Read(ref _inFlight));
    }

    // ------------------------------------------------------------------ connect / disconnect

    internal async ValueTask<ConnectResult> ConnectAsync(CoapDeviceConnection d, CancellationToken cancellationToken)
    {
        if (d.ConfigurationError is { } configError)
        {
            return ConnectFailed(d, configError);
        }

        if (!_resolved.TryGetValue(d.Host, out var address))
        {
            var resolved = await ResolveAsync(d.Host, cancellationToken).ConfigureAwait(false);
            if (resolved is null)
            {
                return ConnectFailed(d, $"cannot resolve CoAP host '{d.Host}'");
            }

            address = _resolved.GetOrAdd(d.Host, resolved);
        }

        Task<ConnectResult>? ping = null;
        lock (_gate)
        {
            if (_disposed)
            {
                return ConnectFailed(d, "the CoAP adapter is stopped");
            }

            if (d.Connected || d.Connecting)
            {
                return d.Connected ? ConnectResult.Success : ConnectResult.Failure("already connecting");
            }

            if (d.Endpoint is null)
            {
                var server = new IPEndPoint(address, d.Port);
                var endpoint = AcquireEndpoint(server, out var error);
                if (endpoint is null)
                {
                    return ConnectFailed(d, error!);
                }

                endpoint.Devices++;
                d.Endpoint = endpoint;
                d.Server = server;
            }

            d.Generation++;
            var ep = d.Endpoint;
            long now = NowMs;
            if (_options.PingOnConnect && (ep.LastAnswerMs == long.MinValue || now - ep.LastAnswerMs > PingReuseWindowMs))
            {
                // One ping per socket: the server sees the socket as the endpoint, and libcoap
                // rate-limits its Reset answers per endpoint (about one a second).
                d.Connecting = true;
                d.PingResult = new TaskCompletionSource<ConnectResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                ping = d.PingResult.Task;
                ep.PingWaiters.Add(d);
                if (ep.Ping is null)
                {
                    StartPing(d, ep, now);
                }
            }
            else
            {
                MarkConnected(d);
            }
        }

        if (ping is null)
        {
            return ConnectResult.Success;
        }

        var result = await ping.ConfigureAwait(false);
        lock (_gate)
        {
            d.Connecting = false;
            d.PingResult = null;
            if (result.Succeeded && d.Endpoint is not null && !_disposed)
            {
                MarkConnected(d);
                return ConnectResult.Success;
            }

            ReleaseEndpoint(d);
        }

        return ConnectFailed(d, result.Error ?? "disconnected while connecting");
    }

    private ConnectResult ConnectFailed(CoapDeviceConnection d, string error)
    {
        Interlocked.Increment(ref _connectFailures);
        LogConnectFailed(_logger, d.DeviceId, error);
        return ConnectResult.Failure(error);
    }

    private static async ValueTask<IPAddress?> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return literal;
        }

        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            foreach (var a in addresses)
            {
                if (a.AddressFamily == AddressFamily.InterNetwork)
                {
                    return a; // prefer IPv4: servers such as coap-server -A 127.0.0.1 listen on IPv4 only
                }
            }

            return addresses.Length > 0 ? addresses[0] : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    private void MarkConnected(CoapDeviceConnection d)
    {
        Volatile.Write(ref d.Connected, true);
        d.ConsecutiveTimeouts = 0;
        Interlocked.Increment(ref _connections);
        if (!_options.ObserveCommands)
        {
            return;
        }

        foreach (var obs in d.Observations)
        {
            _observations[obs.Token] = obs;
            obs.State = CoapObservationState.Idle;
            obs.Registered = false;
            obs.Generation++;
            obs.TimerPending = false;
            Register(obs, NowMs);
        }
    }

    internal ValueTask Disconnect(CoapDeviceConnection d, DisconnectMode mode)
    {
        lock (_gate)
        {
            Volatile.Write(ref d.Connected, false);
            d.Generation++;
            if (d.InFlight is { } inFlight)
            {
                d.InFlight = null;
                Release(inFlight);
                Drop(ref _unacknowledged);
            }

            if (d.Pending is { } pending)
            {
                while (pending.TryDequeue(out var m))
                {
                    m.Return();
                    Drop(ref _unsent);
                }
            }

            d.Endpoint?.PingWaiters.Remove(d);
            d.PingResult?.TrySetResult(ConnectResult.Failure("disconnected while connecting"));
            foreach (var obs in d.Observations)
            {
                if (obs.Registration is { } registration)
                {
                    obs.Registration = null;
                    Release(registration);
                }

                if (mode == DisconnectMode.Graceful && obs.State == CoapObservationState.Active && d.Endpoint is { } ep)
                {
                    SendDeregistration(ep, d, obs); // GET with Observe: 1 [RFC 7641 3.6]
                }

                _observations.Remove(obs.Token);
                obs.State = CoapObservationState.Idle;
                obs.Generation++;
                obs.TimerPending = false;
            }

            if (!d.Connecting)
            {
                ReleaseEndpoint(d);
            }
        }

        return ValueTask.CompletedTask;
    }

    private static void ReleaseEndpoint(CoapDeviceConnection d)
    {
        if (d.Endpoint is { } ep)
        {
            ep.Devices--;
            d.Endpoint = null;
        }
    }

    private CoapEndpoint? AcquireEndpoint(IPEndPoint server, out string? error)
    {
        error = null;
        if (!_endpoints.TryGetValue(server, out var list))
        {
            list = [];
            _endpoints[server] = list;
        }

        CoapEndpoint? leastLoaded = null;
        foreach (var ep in list)
        {
            if (ep.Devices < _options.DevicesPerSocket)
            {
                return ep;
            }

            if (leastLoaded is null || ep.Devices < leastLoaded.Devices)
            {
                leastLoaded = ep;
            }
        }

        if (_allEndpoints.Count >= _options.MaxSockets)
        {
            if (leastLoaded is null)
            {
                error = $"IoTix:Simulation:Coap:MaxSockets ({_options.MaxSockets}) reached; no socket to {server}";
            }

            return leastLoaded;
        }

        Socket? socket = null;
        try
        {
            socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            if (_options.SocketReceiveBufferBytes > 0)
            {
                socket.ReceiveBufferSize = _options.SocketReceiveBufferBytes;
            }

            if (_options.SocketSendBufferBytes > 0)
            {
                socket.SendBufferSize = _options.SocketSendBufferBytes;
            }

            socket.Connect(server);
            socket.Blocking = false;
        }
        catch (SocketException ex)
        {
            socket?.Dispose();
            error = $"cannot open a UDP socket to {server}: {ex.SocketErrorCode}";
            return null;
        }

        int number = _allEndpoints.Count;
        ushort firstId = (ushort)Generators.DeviceRandom.Mix(_seed, server.ToString(), number);
        var endpoint = new CoapEndpoint(socket, server, number, firstId, _options.DuplicateCacheSize);
        list.Add(endpoint);
        _allEndpoints.Add(endpoint);
        LogSocketOpened(_logger, number, server.ToString());
        _ = ReceiveLoopAsync(endpoint);
        return endpoint;
    }

    // ------------------------------------------------------------------ publish

    internal PublishStatus TryPublish(CoapDeviceConnection d, string topic, ReadOnlySpan<byte> payload, int qos)
    {
        if (!Volatile.Read(ref d.Connected))
        {
            Interlocked.Increment(ref _notConnected);
            return PublishStatus.NotConnected;
        }

        if (payload.Length > _options.MaxPayloadBytes || OptionsBound(d, topic) > 4096)
        {
            Drop(ref _tooLarge);
            return PublishStatus.Rejected; // no block-wise transfer [RFC 7959]
        }

        lock (_gate)
        {
            if (!d.Connected || d.Endpoint is not { } ep)
            {
                Interlocked.Increment(ref _notConnected);
                return PublishStatus.NotConnected;
            }

            if (qos <= 0)
            {
                var writer = new CoapMessageWriter(_scratch);
                WriteTelemetry(ref writer, d, topic, CoapMessageType.NonConfirmable, ep.NextMessageId(), d.NewRequestToken(), payload);
                if (!Send(ep, _scratch.AsSpan(0, writer.Length)))
                {
                    Drop(ref _unsent);
                }

                Interlocked.Increment(ref _nonConfirmable);
                Interlocked.Increment(ref _published);
                Interlocked.Add(ref _bytes, payload.Length);
                return PublishStatus.Accepted;
            }

            if (d.InFlight is null)
            {
                StartTelemetry(d, ep, topic, payload, NowMs);
                return PublishStatus.Accepted;
            }

            var queue = d.Pending ??= new Queue<PendingMessage>();
            if (queue.Count >= d.Context.OutboundQueueLimit)
            {
                Drop(ref _queueFull);
                if (d.Context.OutboundOverflow == OutboundOverflow.DropNewest)
                {
                    return PublishStatus.QueueFull;
                }

                queue.Dequeue().Return();
            }

            var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, payload.Length));
            payload.CopyTo(buffer);
            queue.Enqueue(new PendingMessage(topic, buffer, payload.Length));
            return PublishStatus.Accepted;
        }
    }

    private static int OptionsBound(CoapDeviceConnection d, string topic) =>
        IsDefaultTopic(d, topic) ? d.DefaultOptions.Length : 16 + ((d.UriHost?.Length ?? 0) * 3) + (topic.Length * 6);

    private static bool IsDefaultTopic(CoapDeviceConnection d, string topic) =>
        ReferenceEquals(topic, d.DefaultTopic) || string.Equals(topic, d.DefaultTopic, StringComparison.Ordinal);

    private static void WriteTelemetry(ref CoapMessageWriter writer, CoapDeviceConnection d, string topic, CoapMessageType type, ushort messageId, ulong token, ReadOnlySpan<byte> payload)
    {
        Span<byte> tokenBytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(tokenBytes, token);
        writer.WriteHeader(type, d.Method, messageId, tokenBytes);
        if (IsDefaultTopic(d, topic))
        {
            writer.WriteEncodedOptions(d.DefaultOptions, d.DefaultOptionsLastNumber);
        }
        else
        {
            CoapDeviceConnection.WriteTopicOptions(ref writer, d.UriHost, topic, d.ContentFormat);
        }

        writer.WritePayload(payload);
    }

    private void StartTelemetry(CoapDeviceConnection d, CoapEndpoint ep, string topic, ReadOnlySpan<byte> payload, long nowMs)
    {
        var ex = Rent(CoapExchangeKind.Telemetry, d, ep, CoapMessageWriter.MaxOverhead + OptionsBound(d, topic) + payload.Length);
        ex.MessageId = ep.NextMessageId();
        ex.Token = d.NewRequestToken();
        ex.PayloadLength = payload.Length;
        ex.StartedTimestamp = _time.GetTimestamp();
        var writer = new CoapMessageWriter(ex.Buffer);
        WriteTelemetry(ref writer, d, topic, CoapMessageType.Confirmable, ex.MessageId, ex.Token, payload);
        ex.Length = writer.Length;
        d.InFlight = ex;
        Begin(ex, nowMs);
        Interlocked.Increment(ref _confirmable);
        Interlocked.Increment(ref _published);
        Interlocked.Add(ref _bytes, payload.Length);
    }

    private void StartNextPending(CoapDeviceConnection d, long nowMs)
    {
        if (d.Connected && d.InFlight is null && d.Endpoint is { } ep && d.Pending is { Count: > 0 } queue)
        {
            var next = queue.Dequeue();
            StartTelemetry(d, ep, next.Topic, next.Buffer.AsSpan(0, next.Length), nowMs);
            next.Return();
        }
    }

    private void StartPing(CoapDeviceConnection d, CoapEndpoint ep, long nowMs)
    {
        var ex = Rent(CoapExchangeKind.Ping, d, ep, 4);
        ex.MessageId = ep.NextMessageId();
        ex.Token = 0;
        var writer = new CoapMessageWriter(ex.Buffer);
        writer.WriteHeader(CoapMessageType.Confirmable, CoapCode.Empty, ex.MessageId, default);
        ex.Length = writer.Length;
        ep.Ping = ex;
        Begin(ex, nowMs);
    }

    private void Register(CoapObservation obs, long nowMs)
    {
        var d = obs.Device;
        if (obs.Registration is not null || !d.Connected || d.Endpoint is not { } ep)
        {
            return;
        }

        var ex = Rent(CoapExchangeKind.ObserveRegistration, d, ep, CoapMessageWriter.MaxOverhead + CoapDeviceConnection.EncodedSize(d.UriHost, obs.Path, null));
        ex.MessageId = ep.NextMessageId();
        ex.Token = obs.Token;
        ex.Observation = obs;
        Span<byte> token = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(token, obs.Token);
        var writer = new CoapMessageWriter(ex.Buffer);
        writer.WriteHeader(CoapMessageType.Confirmable, CoapCode.Get, ex.MessageId, token);
        CoapDeviceConnection.WriteRequestOptions(ref writer, d.UriHost, obs.Path, -1, null, observe: 0);
        ex.Length = writer.Length;
        if (obs.Registered)
        {
            Interlocked.Increment(ref _observeReregistrations);
        }

        obs.State = CoapObservationState.Registering;
        obs.Registration = ex;
        Begin(ex, nowMs);
    }

    private void SendDeregistration(CoapEndpoint ep, CoapDeviceConnection d, CoapObservation obs)
    {
        Span<byte> token = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(token, obs.Token);
        var writer = new CoapMessageWriter(_scratch);
        writer.WriteHeader(CoapMessageType.NonConfirmable, CoapCode.Get, ep.NextMessageId(), token);
        CoapDeviceConnection.WriteRequestOptions(ref writer, d.UriHost, obs.Path, -1, null, observe: 1);
        Send(ep, _scratch.AsSpan(0, writer.Length));
    }

    // ------------------------------------------------------------------ exchanges

    private CoapExchange Rent(CoapExchangeKind kind, CoapDeviceConnection d, CoapEndpoint ep, int size)
    {
        var ex = _exchangePool.Count > 0 ? _exchangePool.Pop() : new CoapExchange();
        ex.Kind = kind;
        ex.Device = d;
        ex.Endpoint = ep;
        ex.Observation = null;
        ex.Buffer = ArrayPool<byte>.Shared.Rent(size);
        ex.Length = 0;
        ex.PayloadLength = 0;
        ex.Transmissions = 0;
        ex.State = CoapExchangeState.Idle;
        return ex;
    }

    /// <summary>First transmission; the first timeout is random in [ACK_TIMEOUT, ACK_TIMEOUT x ACK_RANDOM_FACTOR] [RFC 7252 4.2].</summary>
    private void Begin(CoapExchange ex, long nowMs)
    {
        ex.Endpoint.InFlight[ex.MessageId] = ex;
        ex.State = CoapExchangeState.AwaitingAck;
        ex.Transmissions = 1;
        ex.TimeoutMs = (long)(_options.AckTimeoutMs * (1.0 + (ex.Device.Random.NextDouble() * (_options.AckRandomFactor - 1.0))));
        Interlocked.Increment(ref _inFlight);
        Send(ex.Endpoint, ex.Datagram);
        Schedule(nowMs + ex.TimeoutMs, new TimedEntry(ex, ex.Generation, TimerKind.Retransmit));
    }

    private void Release(CoapExchange ex)
    {
        if (ex.State == CoapExchangeState.AwaitingAck && ex.Endpoint.InFlight.TryGetValue(ex.MessageId, out var owner) && owner == ex)
        {
            ex.Endpoint.InFlight.Remove(ex.MessageId);
        }
        else if (ex.State == CoapExchangeState.AwaitingResponse && _awaitingResponse.TryGetValue(ex.Token, out var waiting) && waiting == ex)
        {
            _awaitingResponse.Remove(ex.Token);
        }

        if (ex.State != CoapExchangeState.Idle)
        {
            Interlocked.Decrement(ref _inFlight);
        }

        ArrayPool<byte>.Shared.Return(ex.Buffer);
        ex.Buffer = [];
        ex.State = CoapExchangeState.Idle;
        ex.Generation++;
        ex.Observation = null;
        ex.Device = null!;
        ex.Endpoint = null!;
        _exchangePool.Push(ex);
    }

    private enum Outcome : byte { Response, Reset, Timeout }

    /// <summary>Ends an exchange; returns the device whose connection should be reported lost, if any.</summary>
    private CoapDeviceConnection? Complete(CoapExchange ex, Outcome outcome, in ResponseInfo response, long nowMs)
    {
        var d = ex.Device;
        var kind = ex.Kind;
        var obs = ex.Observation;
        var ep = ex.Endpoint;
        long startedTimestamp = ex.StartedTimestamp;
        Release(ex);
        switch (kind)
        {
            case CoapExchangeKind.Ping:
                ep.Ping = null;
                var result = outcome == Outcome.Timeout
                    ? ConnectResult.Failure($"no answer to a CoAP ping from {ep.Server} after {_options.MaxRetransmit + 1} transmissions")
                    : ConnectResult.Success;
                foreach (var waiter in ep.PingWaiters)
                {
                    waiter.PingResult?.TrySetResult(result);
                }

                ep.PingWaiters.Clear();
                return null;

            case CoapExchangeKind.ObserveRegistration:
                obs!.Registration = null;
                if (outcome == Outcome.Response && CoapCode.IsSuccess(response.Code) && response.Observe is { } seq)
                {
                    obs.State = CoapObservationState.Active;
                    obs.Registered = true;
                    obs.LastSequence = seq;
                    obs.LastNotificationMs = nowMs;
                    obs.FreshUntilMs = nowMs + (response.MaxAgeSeconds * 1000L) + _options.ObserveMarginMs;
                    Interlocked.Increment(ref _observeRegistrations);
                    LogObserveRegistered(_logger, d.DeviceId, obs.CommandName);
                }
                else
                {
                    obs.State = CoapObservationState.Idle;
                    obs.FreshUntilMs = nowMs + _options.ObserveRetryMs;
                    Interlocked.Increment(ref _observeFailures);
                    LogObserveFailed(_logger, d.DeviceId, obs.CommandName, outcome == Outcome.Timeout ? "timeout" : outcome == Outcome.Reset ? "reset" : "refused", response.Code);
                }

                ScheduleObservation(obs);
                return null;

            default:
                d.InFlight = null;
                CoapDeviceConnection? lost = null;
                if (outcome == Outcome.Response && CoapCode.IsSuccess(response.Code))
                {
                    long us = _time.GetElapsedTime(startedTimestamp).Ticks / TimeSpan.TicksPerMicrosecond;
                    _latency.Record(us);
                    d.Context.PublishLatency?.Record(us);
                    Interlocked.Increment(ref _acknowledged);
                    d.ConsecutiveTimeouts = 0;
                }
                else
                {
                    Drop(ref outcome == Outcome.Timeout ? ref _unacknowledged : ref _refused);
                    if (outcome == Outcome.Timeout)
                    {
                        Interlocked.Increment(ref _timeouts);
                        LogExchangeTimedOut(_logger, d.DeviceId, d.Server?.ToString());
                        if (++d.ConsecutiveTimeouts == _options.ConnectionLostAfterTimeouts)
                        {
                            lost = d;
                        }
                    }
                    else if (outcome == Outcome.Reset)
                    {
                        Interlocked.Increment(ref _resets);
                    }
                }

                StartNextPending(d, nowMs);
                return lost;
        }
    }

    // ------------------------------------------------------------------ the timer queue

    private enum TimerKind : byte { Retransmit, ResponseTimeout, Observation }

    private readonly record struct TimedEntry(object Target, int Generation, TimerKind Kind);

    private void Schedule(long dueMs, TimedEntry entry)
    {
        _timers.Enqueue(entry, dueMs);
        if (dueMs < _timerDueMs && !_disposed)
        {
            _timerDueMs = dueMs;
            _timer.Change(TimeSpan.FromMilliseconds(Math.Max(0, dueMs - NowMs)), Timeout.InfiniteTimeSpan);
        }
    }

    private void ScheduleObservation(CoapObservation obs)
    {
        if (!obs.TimerPending)
        {
            obs.TimerPending = true;
            Schedule(obs.FreshUntilMs, new TimedEntry(obs, obs.Generation, TimerKind.Observation));
        }
    }

    private void OnTimer()
    {
        List<CoapDeviceConnection>? lost = null;
        try
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                _timerDueMs = long.MaxValue;
                long now = NowMs;
                while (_timers.TryPeek(out var entry, out long due) && due <= now)
                {
                    _timers.Dequeue();
                    if (OnDue(entry, due) is { } l)
                    {
                        (lost ??= []).Add(l);
                    }
                }

                if (_timers.TryPeek(out _, out long next))
                {
                    _timerDueMs = next;
                    _timer.Change(TimeSpan.FromMilliseconds(Math.Max(0, next - now)), Timeout.InfiniteTimeSpan);
                }
            }
        }
        catch (Exception ex)
        {
            LogTimerFailed(_logger, ex);
        }

        ReportLost(lost);
    }

    /// <summary>One due entry; <paramref name="dueMs"/> is the logical time, so a late tick keeps the RFC's schedule.</summary>
    private CoapDeviceConnection? OnDue(TimedEntry entry, long dueMs)
    {
        switch (entry.Kind)
        {
            case TimerKind.Retransmit:
            {
                var ex = (CoapExchange)entry.Target;
                if (ex.Generation != entry.Generation || ex.State != CoapExchangeState.AwaitingAck)
                {
                    return null;
                }

                if (ex.Transmissions > _options.MaxRetransmit)
                {
                    return Complete(ex, Outcome.Timeout, default, dueMs);
                }

                ex.Transmissions++;
                ex.TimeoutMs *= 2;
                Interlocked.Increment(ref _retransmissions);
                Send(ex.Endpoint, ex.Datagram);
                Schedule(dueMs + ex.TimeoutMs, new TimedEntry(ex, ex.Generation, TimerKind.Retransmit));
                return null;
            }

            case TimerKind.ResponseTimeout:
            {
                var ex = (CoapExchange)entry.Target;
                return ex.Generation == entry.Generation && ex.State == CoapExchangeState.AwaitingResponse
                    ? Complete(ex, Outcome.Timeout, default, dueMs)
                    : null;
            }

            default:
            {
                var obs = (CoapObservation)entry.Target;
                if (obs.Generation != entry.Generation)
                {
                    return null;
                }

                obs.TimerPending = false;
                if (obs.State == CoapObservationState.Registering)
                {
                    return null;
                }

                if (obs.State == CoapObservationState.Active && dueMs < obs.FreshUntilMs)
                {
                    ScheduleObservation(obs); // a notification arrived since: not lost yet
                    return null;
                }

                obs.State = CoapObservationState.Idle; // lost (Max-Age passed without a notification) or retrying
                Register(obs, dueMs);
                return null;
            }
        }
    }

    private void ReportLost(CoapDeviceConnection? lost) =>
        lost?.Context.Events.ConnectionLost($"{_options.ConnectionLostAfterTimeouts} CoAP exchanges to {lost.Server} timed out");

    private void ReportLost(List<CoapDeviceConnection>? lost)
    {
        if (lost is null)
        {
            return;
        }

        foreach (var d in lost)
        {
            ReportLost(d);
        }
    }

    // ------------------------------------------------------------------ receiving

    private async Task ReceiveLoopAsync(CoapEndpoint ep)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(ReceiveBufferBytes, pinned: true);
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            int n;
            try
            {
                n = await ep.Socket.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.MessageSize)
            {
                Interlocked.Increment(ref _sendErrors); // ICMP unreachable for an earlier datagram: the server is absent
                continue;
            }
            catch (SocketException ex)
            {
                LogReceiveFailed(_logger, ep.Server.ToString(), ex);
                break;
            }

            try
            {
                OnDatagram(ep, buffer.AsSpan(0, n));
            }
            catch (Exception ex)
            {
                LogReceiveFailed(_logger, ep.Server.ToString(), ex);
            }
        }
    }

    /// <summary>What a response carries that the client acts on.</summary>
    private readonly record struct ResponseInfo(byte Code, uint? Observe, uint MaxAgeSeconds, bool UnknownCritical);

    private static ResponseInfo ReadResponse(byte code, ReadOnlySpan<byte> options)
    {
        uint? observe = null;
        uint maxAge = 60; // default Max-Age [RFC 7252 5.10.5]
        bool unknownCritical = false;
        var e = new CoapOptionEnumerator(options);
        while (e.MoveNext())
        {
            switch (e.Number)
            {
                case CoapOptionNumber.Observe:
                    observe = CoapMessageReader.ReadUInt(e.Value) & 0xFF_FFFF;
                    break;
                case CoapOptionNumber.MaxAge:
                    maxAge = CoapMessageReader.ReadUInt(e.Value);
                    break;
                default:
                    if (CoapOptionNumber.IsCritical(e.Number) && !CoapOptionNumber.IsKnown(e.Number))
                    {
                        unknownCritical = true;
                    }

                    break;
            }
        }

        return new ResponseInfo(code, observe, maxAge, unknownCritical);
    }

    private void CountResponse(byte code)
    {
        switch (CoapCode.Class(code))
        {
            case 2:
                Interlocked.Increment(ref _responses2);
                break;
            case 4:
                Interlocked.Increment(ref _responses4);
                break;
            case 5:
                Interlocked.Increment(ref _responses5);
                break;
        }
    }

    internal void OnDatagram(CoapEndpoint ep, ReadOnlySpan<byte> datagram)
    {
        var error = CoapMessageReader.TryParse(datagram, out var header, out var tokenBytes, out var options, out var payload);
        if (error != CoapFormatError.None)
        {
            Interlocked.Increment(ref _malformed);
            LogMalformed(_logger, ep.Server.ToString(), error);
            if (error != CoapFormatError.BadVersion && error != CoapFormatError.TooShort && header.Type == CoapMessageType.Confirmable)
            {
                SendEmpty(ep, CoapMessageType.Reset, header.MessageId); // a malformed CON is rejected [RFC 7252 4.2]
            }

            return;
        }

        long now = NowMs;
        CoapDeviceConnection? lost = null;
        if (header.Type is CoapMessageType.Acknowledgement or CoapMessageType.Reset)
        {
            lock (_gate)
            {
                ep.LastAnswerMs = now;
                if (!ep.InFlight.TryGetValue(header.MessageId, out var ex))
                {
                    return; // late or duplicate ACK/RST
                }

                if (header.Type == CoapMessageType.Reset)
                {
                    lost = Complete(ex, ex.Kind == CoapExchangeKind.Ping ? Outcome.Response : Outcome.Reset, default, now);
                }
                else if (header.IsEmpty)
                {
                    if (ex.Kind == CoapExchangeKind.Ping)
                    {
                        Complete(ex, Outcome.Response, default, now);
                        return;
                    }

                    // Empty ACK: the response comes separately [RFC 7252 5.2.2].
                    ep.InFlight.Remove(header.MessageId);
                    ex.State = CoapExchangeState.AwaitingResponse;
                    ex.Generation++;
                    if (ex.Kind == CoapExchangeKind.Telemetry)
                    {
                        _awaitingResponse[ex.Token] = ex;
                    }

                    Schedule(now + _options.ResponseTimeoutMs, new TimedEntry(ex, ex.Generation, TimerKind.ResponseTimeout));
                }
                else if (tokenBytes.Length == 8 && BinaryPrimitives.ReadUInt64BigEndian(tokenBytes) == ex.Token)
                {
                    var response = ReadResponse(header.Code, options);
                    if (response.UnknownCritical)
                    {
                        Interlocked.Increment(ref _rejected); // rejecting an ACK = silently ignoring it [RFC 7252 4.2, 5.4.1]
                        return;
                    }

                    CountResponse(header.Code);
                    lost = Complete(ex, Outcome.Response, response, now);
                }
            }

            ReportLost(lost);
            return;
        }

        // CON or NON from the server.
        bool confirmable = header.Type == CoapMessageType.Confirmable;
        if (header.IsEmpty || CoapCode.IsRequest(header.Code))
        {
            if (confirmable)
            {
                SendEmpty(ep, CoapMessageType.Reset, header.MessageId); // a CoAP ping, or a request to a client
            }

            return;
        }

        var reply = CoapMessageType.Acknowledgement;
        CoapObservation? deliver = null;
        lock (_gate)
        {
            ep.LastAnswerMs = now;
            if (confirmable && ep.IsDuplicate(header.MessageId, now, ExchangeLifetimeMs, out var earlier))
            {
                Interlocked.Increment(ref _duplicates);
                reply = earlier; // acknowledge again, do not process again [RFC 7252 4.5]
            }
            else
            {
                var response = ReadResponse(header.Code, options);
                ulong token = tokenBytes.Length == 8 ? BinaryPrimitives.ReadUInt64BigEndian(tokenBytes) : 0;
                if (response.UnknownCritical)
                {
                    Interlocked.Increment(ref _rejected);
                    reply = CoapMessageType.Reset;
                }
                else if (tokenBytes.Length != 8)
                {
                    reply = CoapMessageType.Reset; // not a token of ours [RFC 7252 5.3.2]
                }
                else if (_awaitingResponse.TryGetValue(token, out var ex))
                {
                    CountResponse(header.Code);
                    lost = Complete(ex, Outcome.Response, response, now);
                }
                else if (_observations.TryGetValue(token, out var obs))
                {
                    CountResponse(header.Code);
                    reply = OnObservationResponse(obs, response, now, out deliver);
                }
                else if ((token & 0x8000_0000UL) == 0 && token >> 32 <= _nextHandle)
                {
                    CountResponse(header.Code); // response to a NON request, or a late one to a finished exchange
                }
                else
                {
                    reply = CoapMessageType.Reset; // a notification nobody observes any more: RST ends it [RFC 7641 3.6]
                }

                if (confirmable)
                {
                    ep.Remember(header.MessageId, now, reply);
                }
            }
        }

        if (confirmable)
        {
            SendEmpty(ep, reply, header.MessageId);
        }

        if (deliver is not null)
        {
            Interlocked.Increment(ref _commands);
            deliver.Device.Context.Events.CommandReceived(deliver.CommandName, payload);
        }

        ReportLost(lost);
    }

    /// <summary>A response carrying an observation's token: the registration's answer or a notification [RFC 7641 3.2-3.4].</summary>
    private CoapMessageType OnObservationResponse(CoapObservation obs, in ResponseInfo response, long now, out CoapObservation? deliver)
    {
        deliver = null;
        if (obs.Registration is { } registration)
        {
            Complete(registration, Outcome.Response, response, now); // a separate response to the registration
            return CoapMessageType.Acknowledgement;
        }

        if (obs.State != CoapObservationState.Active)
        {
            return CoapMessageType.Reset;
        }

        if (!CoapCode.IsSuccess(response.Code) || response.Observe is not { } seq)
        {
            // An error or a response without Observe ends the observation: register again later.
            obs.State = CoapObservationState.Idle;
            obs.Generation++;
            obs.TimerPending = false;
            obs.FreshUntilMs = now + _options.ObserveRetryMs;
            ScheduleObservation(obs);
            return CoapMessageType.Acknowledgement;
        }

        uint v1 = obs.LastSequence;
        bool fresh = (v1 < seq && seq - v1 < (1u << 23)) || (v1 > seq && v1 - seq > (1u << 23)) || now > obs.LastNotificationMs + NotificationReorderWindowMs;
        obs.FreshUntilMs = now + (response.MaxAgeSeconds * 1000L) + _options.ObserveMarginMs;
        if (fresh)
        {
            obs.LastSequence = seq;
            obs.LastNotificationMs = now;
            Interlocked.Increment(ref _notifications);
            deliver = obs;
        }

        return CoapMessageType.Acknowledgement;
    }

    // ------------------------------------------------------------------ sending

    private bool Send(CoapEndpoint ep, ReadOnlySpan<byte> datagram)
    {
        int sent;
        SocketError error;
        try
        {
            sent = ep.Socket.Send(datagram, SocketFlags.None, out error);
        }
        catch (ObjectDisposedException)
        {
            sent = 0;
            error = SocketError.Shutdown; // the adapter is stopping
        }

        if (error != SocketError.Success || sent != datagram.Length)
        {
            Interlocked.Increment(ref _sendErrors);
            return false;
        }

        return true;
    }

    private void SendEmpty(CoapEndpoint ep, CoapMessageType type, ushort messageId)
    {
        Span<byte> empty = stackalloc byte[4];
        var writer = new CoapMessageWriter(empty);
        writer.WriteHeader(type, CoapCode.Empty, messageId, default);
        Send(ep, empty);
    }

    // ------------------------------------------------------------------ shutdown

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Stops the timer and the receive loops and closes every socket (nothing to await: UDP has no goodbye).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _timer.Dispose();
            _stopping.Cancel();
            foreach (var ep in _allEndpoints)
            {
                ep.Socket.Dispose();
            }
        }

        _stopping.Dispose();
    }
}
