using MQTTnet.Server;

namespace IoTix.Broker.Server;

/// <summary>
/// A broker service that hooks into the running MQTTnet server (device presence, shadows, direct methods ...).
/// Registered as a singleton; the hosted broker calls <see cref="Attach"/> after its own event handlers are wired
/// (so ACL decisions come first) and before the server starts listening, and <see cref="Detach"/> once it stopped.
/// </summary>
internal interface IBrokerServerExtension
{
    void Attach(MqttServer server);

    void Detach();
}
