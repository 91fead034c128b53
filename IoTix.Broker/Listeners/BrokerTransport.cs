using MQTTnet.Server;

namespace IoTix.Broker.Listeners;

/// <summary>
/// A transport hosted outside the broker (e.g. MQTT over WebSocket on the web host's Kestrel), registered in DI
/// by the host. The broker passes each of its connections through the same gate as its own TCP listeners.
/// </summary>
public sealed class BrokerTransport(string name, IMqttServerAdapter adapter)
{
    /// <summary>Listener name used in logs and metrics (ws, wss).</summary>
    public string Name { get; } = name;

    public IMqttServerAdapter Adapter { get; } = adapter;
}
