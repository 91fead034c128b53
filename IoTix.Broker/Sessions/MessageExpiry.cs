using System.Buffers.Text;
using IoTix.Broker.Observability;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace IoTix.Broker.Sessions;

/// <summary>
/// Message Expiry Interval (FR-034, MQTT 5 3.3.2.3.3). MQTTnet forwards the interval unchanged and delivers expired
/// messages; IoTix stamps each PUBLISH that carries an interval with its absolute deadline when it arrives (an
/// internal user property that travels with the message into session queues, retained storage and the database),
/// drops a copy whose deadline has passed before it is written to a subscriber [MQTT-3.3.2-5], and sends the
/// remaining interval otherwise [MQTT-3.3.2-6]. The internal property never reaches a client.
/// </summary>
internal sealed class MessageExpiry
{
    /// <summary>User property carrying the deadline in Unix milliseconds (stripped before delivery).</summary>
    public const string DeadlinePropertyName = "iotix-expires-at";

    private readonly TimeProvider _timeProvider;
    private readonly BrokerMetrics _metrics;

    public MessageExpiry(TimeProvider timeProvider, BrokerMetrics metrics)
    {
        _timeProvider = timeProvider;
        _metrics = metrics;
    }

    /// <summary>Set by the server: an expired retained message was met at delivery; delete it if still current.</summary>
    public Func<string, long, Task>? RetainedExpired { get; set; }

    public DateTimeOffset Now => _timeProvider.GetUtcNow();

    /// <summary>Stamps an incoming PUBLISH with its deadline; a deadline property sent by a client is replaced.</summary>
    public void Stamp(MqttPublishPacket publish)
    {
        if (publish.MessageExpiryInterval == 0)
        {
            if (publish.UserProperties is { Count: > 0 } properties && TryGetDeadline(properties, out _))
            {
                publish.UserProperties = Without(properties);
            }

            return;
        }

        publish.UserProperties = WithDeadline(publish.UserProperties, Deadline(publish.MessageExpiryInterval));
    }

    /// <summary>Stamps a message the broker publishes itself (a delayed will).</summary>
    public void Stamp(MqttApplicationMessage message)
    {
        if (message.MessageExpiryInterval == 0)
        {
            return;
        }

        message.UserProperties = WithDeadline(message.UserProperties, Deadline(message.MessageExpiryInterval));
    }

    /// <summary>
    /// What to write to the subscriber: the packet itself (no deadline), a copy with the remaining interval and
    /// without the internal property, or nothing (expired, counted).
    /// </summary>
    public MqttPublishPacket? PrepareForDelivery(MqttPublishPacket packet)
    {
        if (packet.MessageExpiryInterval == 0 || !TryGetDeadline(packet.UserProperties, out var deadline))
        {
            return packet;
        }

        var remainingMs = deadline - _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        if (remainingMs <= 0)
        {
            _metrics.MessageExpired();
            if (packet.Retain && RetainedExpired is { } retainedExpired)
            {
                _ = retainedExpired(packet.Topic, deadline);
            }

            return null;
        }

        return new MqttPublishPacket
        {
            Topic = packet.Topic,
            Payload = packet.Payload,
            QualityOfServiceLevel = packet.QualityOfServiceLevel,
            Retain = packet.Retain,
            Dup = packet.Dup,
            PacketIdentifier = packet.PacketIdentifier,
            ContentType = packet.ContentType,
            CorrelationData = packet.CorrelationData,
            PayloadFormatIndicator = packet.PayloadFormatIndicator,
            ResponseTopic = packet.ResponseTopic,
            SubscriptionIdentifiers = packet.SubscriptionIdentifiers,
            TopicAlias = packet.TopicAlias,
            MessageExpiryInterval = (uint)Math.Min(uint.MaxValue, (remainingMs + 999) / 1000),
            UserProperties = Without(packet.UserProperties),
        };
    }

    /// <summary>The acknowledgement MQTTnet waits for after an expired QoS 1/2 copy that was never sent.</summary>
    public static MqttPacket? SyntheticAcknowledgement(MqttPublishPacket packet) => packet.QualityOfServiceLevel switch
    {
        MqttQualityOfServiceLevel.AtLeastOnce => new MqttPubAckPacket { PacketIdentifier = packet.PacketIdentifier, ReasonCode = MqttPubAckReasonCode.Success },
        MqttQualityOfServiceLevel.ExactlyOnce => new MqttPubCompPacket { PacketIdentifier = packet.PacketIdentifier, ReasonCode = MqttPubCompReasonCode.Success },
        _ => null,
    };

    /// <summary>True when the message has a deadline that has passed.</summary>
    public bool IsExpired(MqttApplicationMessage message) =>
        message.MessageExpiryInterval > 0
        && TryGetDeadline(message.UserProperties, out var deadline)
        && deadline <= _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    public static bool TryGetDeadline(List<MqttUserProperty>? properties, out long deadlineUnixMs)
    {
        if (properties is not null)
        {
            for (var i = 0; i < properties.Count; i++)
            {
                if (string.Equals(properties[i].Name, DeadlinePropertyName, StringComparison.Ordinal)
                    && Utf8Parser.TryParse(properties[i].ValueBuffer.Span, out deadlineUnixMs, out var consumed)
                    && consumed == properties[i].ValueBuffer.Length)
                {
                    return true;
                }
            }
        }

        deadlineUnixMs = 0;
        return false;
    }

    /// <summary>The properties without the internal deadline (null when none remain).</summary>
    public static List<MqttUserProperty>? Without(List<MqttUserProperty>? properties)
    {
        if (properties is null)
        {
            return null;
        }

        List<MqttUserProperty>? result = null;
        for (var i = 0; i < properties.Count; i++)
        {
            if (!string.Equals(properties[i].Name, DeadlinePropertyName, StringComparison.Ordinal))
            {
                (result ??= new List<MqttUserProperty>(properties.Count)).Add(properties[i]);
            }
        }

        return result;
    }

    private long Deadline(uint intervalSeconds) => _timeProvider.GetUtcNow().ToUnixTimeMilliseconds() + (intervalSeconds * 1000L);

    private static List<MqttUserProperty> WithDeadline(List<MqttUserProperty>? properties, long deadline)
    {
        var result = Without(properties) ?? new List<MqttUserProperty>(1);
        var value = new byte[20];
        Utf8Formatter.TryFormat(deadline, value, out var written);
        result.Add(new MqttUserProperty(DeadlinePropertyName, value.AsMemory(0, written)));
        return result;
    }
}
