using IoTix.Broker.Security;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>MQTT topic filter rules in words [MQTT-4.7.1-1], [MQTT-4.7.1-2], [MQTT-4.7.3-1].</summary>
public static class TopicFilterRules
{
    public static bool IsValid(string filter, out string problem) => MqttTopicMatch.IsValidFilter(filter, out problem);
}
