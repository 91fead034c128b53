using System.Buffers;
using System.Text;
using IoTix.Broker.Sessions;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace IoTix.Broker.History;

/// <summary>A user property of a captured message, in the order the publisher sent it (duplicates kept).</summary>
public sealed record CapturedUserProperty(string Name, string Value);

/// <summary>
/// An MQTT application message as IoTix stores it (history, dead letters): topic, payload, QoS, retain flag and the
/// MQTT 5 properties (content type, correlation data, response topic, user properties, message expiry interval,
/// payload format indicator). IoTix's internal expiry deadline property is never part of it.
/// </summary>
public sealed record CapturedMessage(
    string Topic,
    byte[] Payload,
    MqttQualityOfServiceLevel QualityOfService,
    bool Retain,
    string? ContentType,
    byte[]? CorrelationData,
    string? ResponseTopic,
    MqttPayloadFormatIndicator PayloadFormatIndicator,
    uint MessageExpiryInterval,
    IReadOnlyList<CapturedUserProperty> UserProperties)
{
    /// <summary>A copy of <paramref name="message"/> (payload copied; at most <paramref name="maxPayloadBytes"/> bytes kept).</summary>
    public static CapturedMessage From(MqttApplicationMessage message, int maxPayloadBytes = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new CapturedMessage(
            message.Topic,
            Copy(message.Payload, maxPayloadBytes),
            message.QualityOfServiceLevel,
            message.Retain,
            message.ContentType,
            message.CorrelationData,
            message.ResponseTopic,
            message.PayloadFormatIndicator,
            message.MessageExpiryInterval,
            Properties(message.UserProperties));
    }

    /// <summary>A copy of a PUBLISH packet (payload copied; at most <paramref name="maxPayloadBytes"/> bytes kept).</summary>
    public static CapturedMessage From(MqttPublishPacket packet, int maxPayloadBytes = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(packet);
        return new CapturedMessage(
            packet.Topic,
            Copy(packet.Payload, maxPayloadBytes),
            packet.QualityOfServiceLevel,
            packet.Retain,
            packet.ContentType,
            packet.CorrelationData,
            packet.ResponseTopic,
            packet.PayloadFormatIndicator,
            packet.MessageExpiryInterval,
            Properties(packet.UserProperties));
    }

    /// <summary>The message to publish again, to <paramref name="topic"/> (its own topic when null).</summary>
    public MqttApplicationMessage ToApplicationMessage(string? topic = null, bool? retain = null)
    {
        List<MqttUserProperty>? properties = null;
        if (UserProperties.Count > 0)
        {
            properties = new List<MqttUserProperty>(UserProperties.Count);
            foreach (var property in UserProperties)
            {
                properties.Add(new MqttUserProperty(property.Name, Encoding.UTF8.GetBytes(property.Value).AsMemory()));
            }
        }

        return new MqttApplicationMessage
        {
            Topic = topic ?? Topic,
            Payload = Payload.Length == 0 ? default : new ReadOnlySequence<byte>(Payload),
            QualityOfServiceLevel = QualityOfService,
            Retain = retain ?? Retain,
            ContentType = ContentType,
            CorrelationData = CorrelationData,
            ResponseTopic = ResponseTopic,
            PayloadFormatIndicator = PayloadFormatIndicator,
            MessageExpiryInterval = MessageExpiryInterval,
            UserProperties = properties,
        };
    }

    private static byte[] Copy(ReadOnlySequence<byte> payload, int maxBytes)
    {
        if (payload.IsEmpty)
        {
            return [];
        }

        return payload.Length <= maxBytes ? payload.ToArray() : payload.Slice(0, maxBytes).ToArray();
    }

    private static IReadOnlyList<CapturedUserProperty> Properties(List<MqttUserProperty>? properties)
    {
        if (properties is not { Count: > 0 })
        {
            return [];
        }

        var result = new List<CapturedUserProperty>(properties.Count);
        foreach (var property in properties)
        {
            if (!string.Equals(property.Name, MessageExpiry.DeadlinePropertyName, StringComparison.Ordinal))
            {
                result.Add(new CapturedUserProperty(property.Name, Encoding.UTF8.GetString(property.ValueBuffer.Span)));
            }
        }

        return result;
    }
}
