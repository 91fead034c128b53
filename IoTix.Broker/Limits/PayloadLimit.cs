namespace IoTix.Broker.Limits;

/// <summary>
/// The payload and packet size limits in force (FR-014a): <c>Broker:MaxPayloadBytes</c> at start, replaced at run time
/// through <see cref="Admin.IBrokerRuntimeSettings"/>. Every connection reads it for each PUBLISH (payload check) and
/// each fixed header (packet check), so a change applies to the next packet of connected clients and to the
/// Maximum Packet Size announced in the CONNACK of new MQTT 5 clients.
/// </summary>
internal sealed class PayloadLimit
{
    private volatile Limits _limits;

    public PayloadLimit(int maxPayloadBytes)
        : this(maxPayloadBytes, BrokerOptions.PacketBytesFor(maxPayloadBytes))
    {
    }

    /// <summary>Explicit packet limit (0 = none), for channel tests.</summary>
    internal PayloadLimit(int maxPayloadBytes, long maxPacketBytes)
    {
        _limits = new Limits(maxPayloadBytes, maxPacketBytes);
    }

    /// <summary>Largest accepted PUBLISH payload in bytes.</summary>
    public int MaxPayloadBytes => _limits.Payload;

    /// <summary>Largest accepted packet in bytes (payload limit plus header room; 0 = no limit).</summary>
    public long MaxPacketBytes => _limits.Packet;

    public void Set(int maxPayloadBytes) => _limits = new Limits(maxPayloadBytes, BrokerOptions.PacketBytesFor(maxPayloadBytes));

    private sealed record Limits(int Payload, long Packet);
}
