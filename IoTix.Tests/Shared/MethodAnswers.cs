using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Shared;

/// <summary>A test device that answers direct methods: every request it receives gets <c>payload</c> on its Response Topic.</summary>
public static class MethodAnswers
{
    public static void AnswerMethodsWith(this IMqttClient device, string payload)
    {
        ArgumentNullException.ThrowIfNull(device);
        device.ApplicationMessageReceivedAsync += async e => await device.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(e.ApplicationMessage.ResponseTopic)
            .WithCorrelationData(e.ApplicationMessage.CorrelationData)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
    }
}
