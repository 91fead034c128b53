namespace IoTix.Web.Devices;

/// <summary>
/// The device registry (FR-038): devices known to the platform, with attributes and tags, and their connection
/// status (FR-037) from the broker's presence (live while the broker runs, else the last stored). Every call names
/// the caller's tenant and bare ids; inside, a device is keyed in the tenant's namespace (<see cref="TenantKeys"/>), so
/// two tenants may use the same id and a device of another tenant is not found. Expected failures are
/// <see cref="RegistryResult"/> values.
/// </summary>
public interface IDeviceRegistry
{
    Task<RegistryResult> CreateAsync(string tenantId, DeviceRegistration registration, CancellationToken cancellationToken = default);

    /// <summary>Replaces the client id, name, attributes and tags of a device.</summary>
    Task<RegistryResult> UpdateAsync(string tenantId, DeviceRegistration registration, CancellationToken cancellationToken = default);

    Task<RegistryResult> GetAsync(string tenantId, string deviceId, CancellationToken cancellationToken = default);

    /// <summary>Every device of the tenant ordered by id; null when the database is unavailable.</summary>
    Task<IReadOnlyList<RegisteredDevice>?> ListAsync(string tenantId, CancellationToken cancellationToken = default);

    Task<RegistryResult> DeleteAsync(string tenantId, string deviceId, CancellationToken cancellationToken = default);

    /// <summary>The status of the tenant's (bare) client id from the broker's presence alone (for devices that are not registered).</summary>
    DeviceConnectionStatus? LiveStatus(string tenantId, string clientId);
}

/// <summary>What a registration sets (bare ids of the tenant); <see cref="ClientId"/> null means the device id.</summary>
public sealed record DeviceRegistration(string DeviceId, string? ClientId, string? Name, IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<string> Tags);

/// <summary>A registered device with its status.</summary>
public sealed record RegisteredDevice(
    string DeviceId,
    string ClientId,
    string? Name,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyList<string> Tags,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DeviceConnectionStatus Status);

/// <summary>Online or offline, and when the device was last seen, connected and disconnected.</summary>
public sealed record DeviceConnectionStatus(bool Online, DateTimeOffset? LastSeen, DateTimeOffset? ConnectedAt, DateTimeOffset? DisconnectedAt, string? DisconnectReason);

public enum RegistryError
{
    None,
    NotFound,
    AlreadyExists,
    InvalidArgument,
    Unavailable,
}

public sealed record RegistryResult(RegistryError Error, string Message, RegisteredDevice? Device)
{
    public bool Succeeded => Error == RegistryError.None;

    public static RegistryResult Fail(RegistryError error, string message) => new(error, message, null);
}
