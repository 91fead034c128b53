using IoTix.Web.Tenancy;
using System.Text.Json;
using IoTix.Broker.Devices;
using IoTix.Broker.Observability;
using IoTix.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace IoTix.Web.Devices;

/// <summary>
/// The registry on EF Core (table registry_devices), merged with the broker's live presence. Rows are keyed by the
/// thing key in the tenant's namespace (<see cref="TenantKeys"/>); callers give and get bare ids and client ids.
/// </summary>
internal sealed class DeviceRegistry(IoTixDatabase database, IDevicePresence presence, IBrokerStatus broker, TimeProvider timeProvider) : IDeviceRegistry
{
    private const int MaxClientIdLength = 256;

    public async Task<RegistryResult> CreateAsync(string tenantId, DeviceRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        return await RunAsync(tenantId, async context =>
        {
            var key = TenantKeys.KeyOf(tenantId, registration.DeviceId);
            var set = context.Set<RegisteredDeviceRecord>();
            if (await set.AsNoTracking().AnyAsync(d => d.DeviceId == key, cancellationToken).ConfigureAwait(false))
            {
                // Keys are namespaced: only a device of the same tenant can hold this one.
                return RegistryResult.Fail(RegistryError.AlreadyExists, $"device '{registration.DeviceId}' already exists");
            }

            var now = timeProvider.GetUtcNow().UtcDateTime;
            var record = new RegisteredDeviceRecord { DeviceId = key, TenantId = tenantId, CreatedAt = now };
            if (Write(record, registration, now) is { } invalid)
            {
                return invalid;
            }

            set.Add(record);
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return Ok(record);
        }).ConfigureAwait(false);
    }

    public async Task<RegistryResult> UpdateAsync(string tenantId, DeviceRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        return await RunAsync(tenantId, async context =>
        {
            var key = TenantKeys.KeyOf(tenantId, registration.DeviceId);
            var record = await context.Set<RegisteredDeviceRecord>().FirstOrDefaultAsync(d => d.DeviceId == key && d.TenantId == tenantId, cancellationToken).ConfigureAwait(false);
            if (record is null)
            {
                return NotFound(registration.DeviceId);
            }

            if (Write(record, registration, timeProvider.GetUtcNow().UtcDateTime) is { } invalid)
            {
                return invalid;
            }

            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return Ok(record);
        }).ConfigureAwait(false);
    }

    public async Task<RegistryResult> GetAsync(string tenantId, string deviceId, CancellationToken cancellationToken = default) =>
        await RunAsync(tenantId, async context =>
        {
            var key = TenantKeys.KeyOf(tenantId, deviceId);
            var record = await context.Set<RegisteredDeviceRecord>().AsNoTracking().FirstOrDefaultAsync(d => d.DeviceId == key && d.TenantId == tenantId, cancellationToken).ConfigureAwait(false);
            return record is null ? NotFound(deviceId) : Ok(record);
        }).ConfigureAwait(false);

    public async Task<IReadOnlyList<RegisteredDevice>?> ListAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        try
        {
            await using var context = CreateContext(tenantId);
            var records = await context.Set<RegisteredDeviceRecord>().AsNoTracking().Where(d => d.TenantId == tenantId).OrderBy(d => d.DeviceId).ToListAsync(cancellationToken).ConfigureAwait(false);
            var devices = new List<RegisteredDevice>(records.Count);
            foreach (var record in records)
            {
                devices.Add(ToDevice(record));
            }

            return devices;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
            return null;
        }
    }

    public async Task<RegistryResult> DeleteAsync(string tenantId, string deviceId, CancellationToken cancellationToken = default) =>
        await RunAsync(tenantId, async context =>
        {
            var key = TenantKeys.KeyOf(tenantId, deviceId);
            var record = await context.Set<RegisteredDeviceRecord>().FirstOrDefaultAsync(d => d.DeviceId == key && d.TenantId == tenantId, cancellationToken).ConfigureAwait(false);
            if (record is null)
            {
                return NotFound(deviceId);
            }

            context.Remove(record);
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return Ok(record);
        }).ConfigureAwait(false);

    public DeviceConnectionStatus? LiveStatus(string tenantId, string clientId) =>
        presence.TryGet(TenantKeys.KeyOf(tenantId, clientId), out var live) ? Status(live) : null;

    private static DeviceConnectionStatus Status(DevicePresenceInfo live) =>
        new(live.Online, live.LastSeen, live.ConnectedAt, live.DisconnectedAt, live.DisconnectReason);

    /// <summary>A context of the caller's tenant whatever the ambient scope (console timers, background work).</summary>
    private IoTixDbContext CreateContext(string tenantId)
    {
        var context = database.CreateDbContext();
        context.TenantId = tenantId;
        return context;
    }

    private async Task<RegistryResult> RunAsync(string tenantId, Func<IoTixDbContext, Task<RegistryResult>> work)
    {
        if (!await database.TryEnsureReadyAsync().ConfigureAwait(false))
        {
            return RegistryResult.Fail(RegistryError.Unavailable, "the database is unavailable; retry later");
        }

        try
        {
            await using var context = CreateContext(tenantId);
            return await work(context).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
        {
            database.ReportFailure(exception);
            return RegistryResult.Fail(RegistryError.Unavailable, "the database is unavailable; retry later");
        }
    }

    private static RegistryResult NotFound(string deviceId) => RegistryResult.Fail(RegistryError.NotFound, $"device '{deviceId}' not found");

    private RegistryResult Ok(RegisteredDeviceRecord record) => new(RegistryError.None, "ok", ToDevice(record));

    /// <summary>Copies a registration onto a row; the client id goes into the tenant's namespace. An invalid one is the result.</summary>
    private static RegistryResult? Write(RegisteredDeviceRecord record, DeviceRegistration registration, DateTime now)
    {
        var clientKey = TenantKeys.KeyOf(record.TenantId, registration.ClientId ?? registration.DeviceId);
        if (clientKey.Length > MaxClientIdLength)
        {
            return RegistryResult.Fail(RegistryError.InvalidArgument, $"the client id '{clientKey}' is longer than {MaxClientIdLength} characters");
        }

        record.ClientId = clientKey == record.DeviceId ? null : clientKey;
        record.Name = registration.Name;
        record.Attributes = JsonSerializer.Serialize(registration.Attributes);
        record.Tags = JsonSerializer.Serialize(registration.Tags);
        record.UpdatedAt = now;
        return null;
    }

    /// <summary>The MQTT client id the broker knows the device by (namespaced).</summary>
    internal static string ClientIdOf(RegisteredDeviceRecord record) => record.ClientId ?? record.DeviceId;

    private RegisteredDevice ToDevice(RegisteredDeviceRecord record)
    {
        var clientId = ClientIdOf(record);
        var status = presence.TryGet(clientId, out var live) ? Status(live) : new DeviceConnectionStatus(
            // While the broker runs, a client it has not seen since its start is offline, whatever was stored.
            record.Online && !broker.IsListening,
            Utc(record.LastSeenAt),
            Utc(record.LastConnectedAt),
            Utc(record.LastDisconnectedAt),
            null);
        return new RegisteredDevice(
            TenantKeys.BareId(record.TenantId, record.DeviceId),
            TenantKeys.BareId(record.TenantId, clientId),
            record.Name,
            JsonSerializer.Deserialize<Dictionary<string, string>>(record.Attributes) ?? [],
            JsonSerializer.Deserialize<List<string>>(record.Tags) ?? [],
            new DateTimeOffset(DateTime.SpecifyKind(record.CreatedAt, DateTimeKind.Utc)),
            new DateTimeOffset(DateTime.SpecifyKind(record.UpdatedAt, DateTimeKind.Utc)),
            status);
    }

    private static DateTimeOffset? Utc(DateTime? value) => value is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;
}
