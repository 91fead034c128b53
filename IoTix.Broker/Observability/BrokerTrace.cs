using System.Buffers;
using System.Text;
using IoTix.Broker.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Packets;

namespace IoTix.Broker.Observability;

/// <summary>
/// The trace switch. Read-mostly state, copied on write under a lock and read without one: when no filter is set the
/// per-packet cost is one volatile read. Correlation ids come from a <c>correlation-id</c> or <c>traceparent</c>
/// user property, else the MQTT 5 Correlation Data (FR-029).
/// </summary>
internal sealed partial class BrokerTrace : IBrokerTrace, IDisposable
{
    private readonly object _sync = new();
    private readonly ILogger _logger;
    private readonly IDisposable? _reload;
    private readonly HashSet<string> _runtimeTopics = new(StringComparer.Ordinal);
    private readonly HashSet<string> _runtimeClients = new(StringComparer.Ordinal);
    private volatile TraceState _state = TraceState.Off;

    public BrokerTrace(IOptionsMonitor<BrokerOptions> options, ILoggerFactory loggerFactory)
    {
        _logger = loggerFactory.CreateLogger("IoTix.Broker.Trace");
        Apply(options.CurrentValue.Trace);
        _reload = options.OnChange(o => Apply(o.Trace));
    }

    public bool IsActive => _state.Active;

    public IReadOnlyCollection<string> TopicFilters => _state.Topics;

    public IReadOnlyCollection<string> ClientIds => _state.Clients;

    private BrokerTraceOptions Configured { get; set; } = new();

    public void AddTopicFilter(string topicFilter) => Change(() => _runtimeTopics.Add(topicFilter));

    public bool RemoveTopicFilter(string topicFilter) => Change(() => _runtimeTopics.Remove(topicFilter));

    public void AddClientId(string clientId) => Change(() => _runtimeClients.Add(clientId));

    public bool RemoveClientId(string clientId) => Change(() => _runtimeClients.Remove(clientId));

    public void Dispose() => _reload?.Dispose();

    /// <summary>Logs the packet when its client or topic is traced. Call only when <see cref="IsActive"/>.</summary>
    public void OnPacket(string? clientId, bool inbound, MqttPacket packet)
    {
        var state = _state;
        var publish = packet as MqttPublishPacket;
        var selected = (clientId is not null && state.Clients.Contains(clientId)) || (publish is not null && state.Matches(publish.Topic));
        if (!selected || !_logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        var direction = inbound ? "in" : "out";
        var type = PacketType(packet);
        if (publish is null)
        {
            LogPacket(_logger, clientId ?? "?", direction, type, TopicOf(packet), 0, 0, "", "");
            return;
        }

        var preview = state.PreviewBytes > 0 && !publish.Payload.IsEmpty ? Preview(publish, state.PreviewBytes) : "";
        LogPacket(_logger, clientId ?? "?", direction, type, publish.Topic, (int)publish.QualityOfServiceLevel, publish.Payload.Length, CorrelationId(publish.UserProperties, publish.CorrelationData) ?? "", preview);
    }

    /// <summary>A log scope carrying the message's correlation id, or null when it has none.</summary>
    public static IDisposable? BeginCorrelationScope(ILogger logger, MqttApplicationMessage message) =>
        CorrelationId(message.UserProperties, message.CorrelationData) is { } id ? logger.BeginScope(new CorrelationScope(id)) : null;

    public static string? CorrelationId(List<MqttUserProperty>? properties, byte[]? correlationData)
    {
        if (properties is not null)
        {
            for (var i = 0; i < properties.Count; i++)
            {
                var name = properties[i].Name;
                if (string.Equals(name, "correlation-id", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "traceparent", StringComparison.OrdinalIgnoreCase))
                {
                    return Encoding.UTF8.GetString(properties[i].ValueBuffer.Span);
                }
            }
        }

        if (correlationData is { Length: > 0 })
        {
            return IsPrintable(correlationData) ? Encoding.UTF8.GetString(correlationData) : Convert.ToHexString(correlationData, 0, Math.Min(correlationData.Length, 64));
        }

        return null;
    }

    private static bool IsPrintable(byte[] data)
    {
        foreach (var b in data)
        {
            if (b is < 0x20 or > 0x7E)
            {
                return false;
            }
        }

        return true;
    }

    private static string Preview(MqttPublishPacket publish, int bytes)
    {
        var length = (int)Math.Min(bytes, publish.Payload.Length);
        var buffer = publish.Payload.Slice(0, length).ToArray();
        return IsPrintable(buffer) ? Encoding.UTF8.GetString(buffer) : Convert.ToHexString(buffer);
    }

    private static string TopicOf(MqttPacket packet) => packet switch
    {
        MqttSubscribePacket subscribe when subscribe.TopicFilters.Count > 0 => subscribe.TopicFilters[0].Topic,
        MqttUnsubscribePacket unsubscribe when unsubscribe.TopicFilters.Count > 0 => unsubscribe.TopicFilters[0],
        _ => "",
    };

    private static string PacketType(MqttPacket packet) => packet switch
    {
        MqttPublishPacket => "PUBLISH",
        MqttPubAckPacket => "PUBACK",
        MqttPubRecPacket => "PUBREC",
        MqttPubRelPacket => "PUBREL",
        MqttPubCompPacket => "PUBCOMP",
        MqttSubscribePacket => "SUBSCRIBE",
        MqttSubAckPacket => "SUBACK",
        MqttUnsubscribePacket => "UNSUBSCRIBE",
        MqttUnsubAckPacket => "UNSUBACK",
        MqttPingReqPacket => "PINGREQ",
        MqttPingRespPacket => "PINGRESP",
        MqttConnectPacket => "CONNECT",
        MqttConnAckPacket => "CONNACK",
        MqttDisconnectPacket => "DISCONNECT",
        MqttAuthPacket => "AUTH",
        _ => packet.GetType().Name,
    };

    private void Apply(BrokerTraceOptions options)
    {
        lock (_sync)
        {
            Configured = options;
            Publish();
        }

        LogTraceConfigured(_logger, options.TopicFilters.Count, options.ClientIds.Count);
    }

    private bool Change(Func<bool> change)
    {
        lock (_sync)
        {
            var changed = change();
            Publish();
            return changed;
        }
    }

    private void Publish()
    {
        var topics = new HashSet<string>(Configured.TopicFilters, StringComparer.Ordinal);
        topics.UnionWith(_runtimeTopics);
        var clients = new HashSet<string>(Configured.ClientIds, StringComparer.Ordinal);
        clients.UnionWith(_runtimeClients);
        _state = new TraceState([.. topics], clients, Configured.PayloadPreviewBytes);
    }

    private sealed class TraceState(string[] topics, HashSet<string> clients, int previewBytes)
    {
        public static readonly TraceState Off = new([], new HashSet<string>(StringComparer.Ordinal), 0);

        public bool Active { get; } = topics.Length > 0 || clients.Count > 0;

        public string[] Topics { get; } = topics;

        public HashSet<string> Clients { get; } = clients;

        public int PreviewBytes { get; } = previewBytes;

        public bool Matches(string topic)
        {
            foreach (var filter in Topics)
            {
                if (MqttTopicMatch.Matches(filter, topic))
                {
                    return true;
                }
            }

            return false;
        }
    }

    private sealed class CorrelationScope(string correlationId) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 1;

        public KeyValuePair<string, object?> this[int index] => index == 0 ? new("CorrelationId", correlationId) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"CorrelationId:{correlationId}";
    }

    [LoggerMessage(EventId = 1701, Level = LogLevel.Information, Message = "MQTT {Direction} {PacketType} client {ClientId} topic {Topic} qos {QoS} payload {PayloadBytes} B correlation {CorrelationId} {PayloadPreview}")]
    private static partial void LogPacket(ILogger logger, string clientId, string direction, string packetType, string topic, int qoS, long payloadBytes, string correlationId, string payloadPreview);

    [LoggerMessage(EventId = 1702, Level = LogLevel.Debug, Message = "Broker trace configuration: {TopicFilterCount} topic filters, {ClientIdCount} client ids (Broker:Trace)")]
    private static partial void LogTraceConfigured(ILogger logger, int topicFilterCount, int clientIdCount);
}
