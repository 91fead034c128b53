using System.Text.Json;
using IoTix.Broker.Devices;
using IoTix.Broker.Observability;
using IoTix.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace IoTix.Web.Devices;

/// <summary>The registry on EF Core (table registry_devices), merged with the broker's live presence.</summary>
internal sealed class DeviceRegistry(IoTixDatabase database, IDevicePresence presence, IBrokerStatus broker, TimeProvider timeProvider) : IDeviceRegistry
{
    public async Task<RegistryResult> CreateAsync(string tenantId, DeviceRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        return await RunAsync(async context =>
        {
            var set = context.Set<RegisteredDeviceRecord>();
            var existing = await set.AsNoTracking().FirstOrDefaultAsync(d => d.DeviceId == registration.DeviceId, cancellationToken).ConfigureAwait(false);
            if (existing is not null)
            {
                // A device of another tenant is not disclosed, but its id is taken (thing names are broker-wide).
                return RegistryResult.Fail(RegistryError.AlreadyExists, $"device '{registration.DeviceId}' already exists");
            }

            var now = timeProvider.GetUtcNow().UtcDateTime;
            var record = new RegisteredDeviceRecord { DeviceId = registration.DeviceId, TenantId = tenantId, CreatedAt = now };
            Write(record, registration, now);
            set.Add(record);
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return Ok(record);
        }).ConfigureAwait(false);
    }

    public async Task<RegistryResult> UpdateAsync(string tenantId, DeviceRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        return await RunAsync(async context =>
        {
            var record = await context.Set<RegisteredDeviceRecord>().FirstOrDefaultAsync(d => d.DeviceId == registration.DeviceId && d.TenantId == tenantId, cancellationToken).ConfigureAwait(false);
            if (record is null)
            {
                return NotFound(registration.DeviceId);
            }

            Write(record, registration, timeProvider.GetUtcNow().UtcDateTime);
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return Ok(record);
        }).ConfigureAwait(false);
    }

    public async Task<RegistryResult> GetAsync(string tenantId, string deviceId, CancellationToken cancellationToken = default) =>
        await RunAsync(async context =>
        {
            var record = await context.Set<RegisteredDeviceRecord>().AsNoTracking().FirstOrDefaultAsync(d => d.DeviceId == deviceId && d.TenantId == tenantId, cancellationToken).ConfigureAwait(false);
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
            await using var context = database.CreateDbContext();
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
        await RunAsync(async context =>
        {
            var record = await context.Set<RegisteredDeviceRecord>().FirstOrDefaultAsync(d => d.DeviceId == deviceId && d.TenantId == tenantId, cancellationToken).ConfigureAwait(false);
            if (record is null)
            {
                return NotFound(deviceId);
            }

            context.Remove(record);
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return Ok(record);
        }).ConfigureAwait(false);

    public DeviceConnectionStatus? LiveStatus(string clientId) =>
        presence.TryGet(clientId, out var live) ? new DeviceConnectionStatus(live.Online, live.LastSeen, live.ConnectedAt, live.DisconnectedAt, live.DisconnectReason) : null;

    private async Task<RegistryResult> RunAsync(Func<IoTixDbContext, Task<RegistryResult>> work)
    {
        if (!await database.TryEnsureReadyAsync().ConfigureAwait(false))
        {
            return RegistryResult.Fail(RegistryError.Unavailable, "the database is unavailable; retry later");
        }

        try
        {
            await using var context = database.CreateDbContext();
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

    private static void Write(RegisteredDeviceRecord record, DeviceRegistration registration, DateTime now)
    {
        record.ClientId = registration.ClientId == registration.DeviceId ? null : registration.ClientId;
        record.Name = registration.Name;
        record.Attributes = JsonSerializer.Serialize(registration.Attributes);
        record.Tags = JsonSerializer.Serialize(registration.Tags);
        record.UpdatedAt = now;
    }

    internal static string ClientIdOf(RegisteredDeviceRecord record) => record.ClientId ?? record.DeviceId;

    private RegisteredDevice ToDevice(RegisteredDeviceRecord record)
    {
        var clientId = ClientIdOf(record);
        var status = LiveStatus(clientId) ?? new DeviceConnectionStatus(
            // While the broker runs, a client it has not seen since its start is offline, whatever was stored.
            record.Online && !broker.IsListening,
            Utc(record.LastSeenAt),
            Utc(record.LastConnectedAt),
            Utc(record.LastDisconnectedAt),
            null);
        return new RegisteredDevice(
            record.DeviceId,
            clientId,
            record.Name,
            JsonSerializer.Deserialize<Dictionary<string, string>>(record.Attributes) ?? [],
            JsonSerializer.Deserialize<List<string>>(record.Tags) ?? [],
            new DateTimeOffset(DateTime.SpecifyKind(record.CreatedAt, DateTimeKind.Utc)),
            new DateTimeOffset(DateTime.SpecifyKind(record.UpdatedAt, DateTimeKind.Utc)),
            status);
    }

    private static DateTimeOffset? Utc(DateTime? value) => value is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;
}
