using System.Buffers;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace IoTix.Web.Broker;

/// <summary>Copies MQTT application messages to and from their stored columns.</summary>
internal static class MessageRecordMapping
{
    public static void Write(MqttApplicationMessage message, MessageRecord record)
    {
        record.Topic = message.Topic;
        record.Payload = message.Payload.IsEmpty ? [] : message.Payload.ToArray();
        record.QualityOfService = (int)message.QualityOfServiceLevel;
        record.Retain = message.Retain;
        record.ContentType = message.ContentType;
        record.ResponseTopic = message.ResponseTopic;
        record.CorrelationData = message.CorrelationData;
        record.PayloadFormatIndicator = (int)message.PayloadFormatIndicator;
        record.MessageExpiryInterval = message.MessageExpiryInterval;
        record.UserProperties = WriteProperties(message.UserProperties);
    }

    public static MqttApplicationMessage Read(MessageRecord record) => new()
    {
        Topic = record.Topic,
        Payload = record.Payload.Length == 0 ? default : new ReadOnlySequence<byte>(record.Payload),
        QualityOfServiceLevel = (MqttQualityOfServiceLevel)record.QualityOfService,
        Retain = record.Retain,
        ContentType = record.ContentType,
        ResponseTopic = record.ResponseTopic,
        CorrelationData = record.CorrelationData,
        PayloadFormatIndicator = (MqttPayloadFormatIndicator)record.PayloadFormatIndicator,
        MessageExpiryInterval = (uint)record.MessageExpiryInterval,
        UserProperties = ReadProperties(record.UserProperties),
    };

    private static string? WriteProperties(List<MqttUserProperty>? properties)
    {
        if (properties is not { Count: > 0 })
        {
            return null;
        }

        var pairs = new string[properties.Count][];
        for (var i = 0; i < properties.Count; i++)
        {
            pairs[i] = [properties[i].Name, Encoding.UTF8.GetString(properties[i].ValueBuffer.Span)];
        }

        return JsonSerializer.Serialize(pairs);
    }

    private static List<MqttUserProperty>? ReadProperties(string? json)
    {
        if (string.IsNullOrEmpty(json) || JsonSerializer.Deserialize<string[][]>(json) is not { Length: > 0 } pairs)
        {
            return null;
        }

        var properties = new List<MqttUserProperty>(pairs.Length);
        foreach (var pair in pairs)
        {
            properties.Add(new MqttUserProperty(pair[0], Encoding.UTF8.GetBytes(pair[1]).AsMemory()));
        }

        return properties;
    }
}
