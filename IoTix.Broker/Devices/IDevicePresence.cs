namespace IoTix.Broker.Devices;

/// <summary>
/// Connection status of MQTT clients as the broker sees it (FR-037): online while connected, and when each was last
/// seen (connect, publish, disconnect). Kept in memory, bounded by <c>Broker:Devices:PresenceCapacity</c>; the web
/// side persists it for registered devices.
/// </summary>
public interface IDevicePresence
{
    /// <summary>The presence of <paramref name="clientId"/>; false when the broker has not seen it since start (or forgot it).</summary>
    bool TryGet(string clientId, out DevicePresenceInfo presence);

    /// <summary>Every tracked client (a snapshot, unordered).</summary>
    IReadOnlyList<DevicePresenceInfo> Snapshot();

    /// <summary>Raised on connect and disconnect (not per message), on the broker's thread: handlers must not block.</summary>
    event Action<DevicePresenceInfo>? Changed;
}

/// <summary>One client's presence.</summary>
/// <param name="ClientId">the MQTT client id</param>
/// <param name="Online">true while connected</param>
/// <param name="LastSeen">last connect, publish or disconnect</param>
/// <param name="ConnectedAt">start of the current (or last) connection</param>
/// <param name="DisconnectedAt">end of the last connection; null while online</param>
/// <param name="DisconnectReason">how the last connection ended (clean, not clean, taken over ...); null while online</param>
/// <param name="RemoteEndPoint">the client's address of the current (or last) connection</param>
public sealed record DevicePresenceInfo(
    string ClientId,
    bool Online,
    DateTimeOffset LastSeen,
    DateTimeOffset? ConnectedAt,
    DateTimeOffset? DisconnectedAt,
    string? DisconnectReason,
    string? RemoteEndPoint);
