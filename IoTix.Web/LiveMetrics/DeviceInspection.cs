using System.Buffers;
using System.Text;
using IoTix.Core.Models;
using IoTix.Core.Protocols;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;

namespace IoTix.Web.LiveMetrics;

/// <summary>
/// One inspection of one device: an MQTT subscription to its topics and the last payloads received (a bounded queue,
/// oldest dropped). Dispose it to unsubscribe and disconnect. Thread-safe.
/// </summary>
public sealed partial class DeviceInspection : IAsyncDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private readonly LiveMetricsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<DeviceInspection> _logger;
    private readonly Queue<InspectedPayload> _payloads;
    private readonly Lock _lock = new();
    private ThrottledSubscription[] _subscribers = [];
    private IMqttClient? _client;
    private long _received;
    private string? _payloadError;
    private bool _disposed;

    internal DeviceInspection(string deviceId, LiveMetricsOptions options, TimeProvider time, ILogger<DeviceInspection> logger)
    {
        DeviceId = deviceId;
        _options = options;
        _time = time;
        _logger = logger;
        _payloads = new Queue<InspectedPayload>(options.InspectorPayloads);
    }

    public string DeviceId { get; }

    /// <summary>The broker the inspection subscribed on, when it did.</summary>
    public BrokerEndpoint? Endpoint { get; private set; }

    /// <summary>The topics subscribed to.</summary>
    public IReadOnlyList<string> Topics { get; private set; } = [];

    /// <summary>Why payloads are not shown (not an MQTT device, broker unreachable, connection lost), or null.</summary>
    public string? PayloadError
    {
        get
        {
            lock (_lock)
            {
                return _payloadError;
            }
        }
    }

    /// <summary>Payloads received since the inspection began (including those no longer kept).</summary>
    public long PayloadsReceived => Interlocked.Read(ref _received);

    /// <summary>The payloads kept, newest first.</summary>
    public IReadOnlyList<InspectedPayload> RecentPayloads()
    {
        lock (_lock)
        {
            var result = _payloads.ToArray();
            Array.Reverse(result);
            return result;
        }
    }

    /// <summary>Calls <paramref name="onPayloads"/> after payloads arrive, at most once per <paramref name="minInterval"/>.</summary>
    public IDisposable Subscribe(Func<CancellationToken, Task> onPayloads, TimeSpan minInterval)
    {
        var subscription = new ThrottledSubscription(onPayloads, minInterval, _time, _logger, Unsubscribe);
        lock (_lock)
        {
            _subscribers = [.. _subscribers, subscription];
        }

        return subscription;
    }

    private void Unsubscribe(ThrottledSubscription subscription)
    {
        lock (_lock)
        {
            _subscribers = Array.FindAll(_subscribers, s => !ReferenceEquals(s, subscription));
        }
    }

    internal void SetPayloadError(string error)
    {
        lock (_lock)
        {
            _payloadError = error;
        }
    }

    /// <summary>Adds a received payload (drops the oldest beyond the bound) and notifies subscribers.</summary>
    internal void Add(string topic, ReadOnlySequence<byte> payload)
    {
        int length = (int)Math.Min(payload.Length, int.MaxValue);
        int keep = Math.Min(length, _options.InspectorPayloadChars * 4);
        string text = Encoding.UTF8.GetString(payload.Slice(0, keep));
        if (text.Length > _options.InspectorPayloadChars)
        {
            text = string.Concat(text.AsSpan(0, _options.InspectorPayloadChars), "...");
        }
        else if (keep < length)
        {
            text += "...";
        }

        var item = new InspectedPayload(_time.GetUtcNow(), topic, length, text);
        ThrottledSubscription[] subscribers;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            while (_payloads.Count >= _options.InspectorPayloads)
            {
                _payloads.Dequeue();
            }

            _payloads.Enqueue(item);
            subscribers = _subscribers;
        }

        Interlocked.Increment(ref _received);
        foreach (var subscriber in subscribers)
        {
            subscriber.Notify();
        }
    }

    /// <summary>
    /// Subscribes to <paramref name="topics"/> on <paramref name="endpoint"/> with the model's credentials, or
    /// <paramref name="identity"/> when given (a client id under <paramref name="clientIdPrefix"/>, the device's namespace).
    /// </summary>
    internal async Task ConnectAsync(BrokerEndpoint endpoint, DeviceModel model, IReadOnlyList<string> topics, ConnectionCredentials? identity, string clientIdPrefix, CancellationToken cancellationToken)
    {
        Endpoint = endpoint;
        Topics = topics;
        if (model.Connection.Tls is { Enabled: true })
        {
            SetPayloadError($"the device's broker {endpoint} uses TLS; the inspector subscribes over plain TCP only");
            return;
        }

        var factory = new MqttClientFactory();
        var client = factory.CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            Add(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload);
            return Task.CompletedTask;
        };
        client.DisconnectedAsync += e =>
        {
            if (e.ClientWasConnected && !Volatile.Read(ref _disposed))
            {
                SetPayloadError($"the connection to {endpoint} was lost ({e.Reason})");
            }

            return Task.CompletedTask;
        };

        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(endpoint.Host, endpoint.Port)
            .WithClientId($"{clientIdPrefix}iotix-inspector-{Guid.NewGuid():N}")
            .WithCleanSession()
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithTimeout(ConnectTimeout);
        if (identity is not null)
        {
            builder.WithCredentials(identity.Username, identity.Password.ToArray());
        }
        else if (model.Connection.Credentials is { Username: { } user } credentials)
        {
            builder.WithCredentials(user, credentials.Password);
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ConnectTimeout);
            await client.ConnectAsync(builder.Build(), timeout.Token).ConfigureAwait(false);
            var subscribe = factory.CreateSubscribeOptionsBuilder();
            foreach (var topic in topics)
            {
                subscribe.WithTopicFilter(topic);
            }

            await client.SubscribeAsync(subscribe.Build(), timeout.Token).ConfigureAwait(false);
            lock (_lock)
            {
                if (!_disposed)
                {
                    _client = client;
                    client = null;
                }
            }

            LogInspecting(_logger, DeviceId, endpoint.ToString(), topics.Count);
        }
        catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            SetPayloadError($"cannot subscribe on the device's broker {endpoint}: {ex.Message}");
            LogConnectFailed(_logger, DeviceId, endpoint.ToString(), ex.Message);
        }
        finally
        {
            client?.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        IMqttClient? client;
        ThrottledSubscription[] subscribers;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            client = _client;
            _client = null;
            subscribers = _subscribers;
            _subscribers = [];
            _payloads.Clear();
        }

        foreach (var subscriber in subscribers)
        {
            subscriber.Dispose();
        }

        if (client is not null)
        {
            try
            {
                using var timeout = new CancellationTokenSource(ConnectTimeout);
                await client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or InvalidOperationException)
            {
                // Already gone.
            }
            finally
            {
                client.Dispose();
            }
        }
    }

    [LoggerMessage(EventId = 3604, Level = LogLevel.Debug, Message = "Inspecting device {DeviceId} on {Endpoint} ({Topics} topics)")]
    private static partial void LogInspecting(ILogger logger, string deviceId, string endpoint, int topics);

    [LoggerMessage(EventId = 3605, Level = LogLevel.Information, Message = "Device inspector for {DeviceId} cannot subscribe on {Endpoint}: {Reason}")]
    private static partial void LogConnectFailed(ILogger logger, string deviceId, string endpoint, string reason);
}
