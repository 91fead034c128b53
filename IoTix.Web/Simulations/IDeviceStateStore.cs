namespace IoTix.Web.Simulations;

/// <summary>Devices created one by one (on their own, or added to a group) and their desired state, kept across restarts.</summary>
public interface IDeviceStateStore
{
    /// <summary>Every stored device; null when the database is unavailable.</summary>
    Task<IReadOnlyList<StoredDevice>?> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Adds or replaces a device; false when it could not be stored.</summary>
    Task<bool> SaveAsync(StoredDevice device, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string deviceId, CancellationToken cancellationToken = default);
}

/// <summary>A device as stored: its model and whether it should run.</summary>
public sealed record StoredDevice(string DeviceId, string ModelId, bool DesiredRunning, DateTimeOffset CreatedAt, string TenantId = Tenancy.Tenants.Default)
{
    /// <summary>The group the device was added to (it follows the group's state), or null for a device on its own.</summary>
    public string? GroupId { get; init; }

    /// <summary>The device's own endpoint override (<c>host</c> or <c>host:port</c>), or null.</summary>
    public string? Endpoint { get; init; }
}
