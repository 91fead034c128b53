using System.Text.Json;
using IoTix.Core.Strategies;
using Microsoft.EntityFrameworkCore;

namespace IoTix.Web.Simulations;

/// <summary>API models in table sim_models.</summary>
internal sealed class EfApiModelStore(StoreAccess access, TimeProvider time) : IApiModelStore
{
    public Task<IReadOnlyList<StoredModel>?> ListAsync(CancellationToken cancellationToken = default) =>
        access.RunAsync<IReadOnlyList<StoredModel>?>("list models", static async (context, ct) =>
        {
            var records = await context.Set<ApiModelRecord>().AsNoTracking().OrderBy(m => m.Id).ToListAsync(ct).ConfigureAwait(false);
            return records.ConvertAll(static r => new StoredModel(r.Id, r.Json, new DateTimeOffset(r.UpdatedAt), r.TenantId));
        }, cancellationToken);

    public Task<bool> SaveAsync(string id, string json, CancellationToken cancellationToken = default) =>
        access.RunAsync($"save model '{id}'", async (context, ct) =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            var tenant = context.TenantId ?? Tenancy.Tenants.Default;
            var record = await context.Set<ApiModelRecord>().FindAsync([tenant, id], ct).ConfigureAwait(false);
            if (record is null)
            {
                context.Add(record = new ApiModelRecord { TenantId = tenant, Id = id, CreatedAt = now });
            }

            record.Json = json;
            record.UpdatedAt = now;
            await context.SaveChangesAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        access.RunAsync($"delete model '{id}'", async (context, ct) =>
        {
            await context.Set<ApiModelRecord>().Where(m => m.Id == id).ExecuteDeleteAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
}

/// <summary>Groups in table sim_groups.</summary>
internal sealed class EfGroupStore(StoreAccess access, TimeProvider time) : IGroupStore
{
    public Task<IReadOnlyList<StoredGroup>?> ListAsync(CancellationToken cancellationToken = default) =>
        access.RunAsync<IReadOnlyList<StoredGroup>?>("list groups", static async (context, ct) =>
        {
            var records = await context.Set<GroupRecord>().AsNoTracking().OrderBy(g => g.CreatedAt).ThenBy(g => g.GroupId).ToListAsync(ct).ConfigureAwait(false);
            return records.ConvertAll(static r => new StoredGroup(
                r.GroupId, r.ModelId, r.Count, r.IdPattern, LaunchConfigJson.Read(r.LaunchConfig), r.Running, new DateTimeOffset(r.CreatedAt), r.TenantId));
        }, cancellationToken);

    public Task<bool> SaveAsync(StoredGroup group, CancellationToken cancellationToken = default) =>
        access.RunAsync($"save group '{group.GroupId}'", async (context, ct) =>
        {
            var record = await context.Set<GroupRecord>().FindAsync([group.TenantId, group.GroupId], ct).ConfigureAwait(false);
            if (record is null)
            {
                context.Add(record = new GroupRecord { GroupId = group.GroupId, TenantId = group.TenantId });
            }

            record.ModelId = group.ModelId;
            record.Count = group.Count;
            record.IdPattern = group.IdPattern;
            record.LaunchConfig = group.Launch is null ? null : LaunchConfigJson.Write(group.Launch);
            record.Running = group.Running;
            record.CreatedAt = group.CreatedAt.UtcDateTime;
            record.UpdatedAt = time.GetUtcNow().UtcDateTime;
            await context.SaveChangesAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task<bool> DeleteAsync(string groupId, CancellationToken cancellationToken = default) =>
        access.RunAsync($"delete group '{groupId}'", async (context, ct) =>
        {
            await context.Set<GroupRecord>().Where(g => g.GroupId == groupId).ExecuteDeleteAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
}

/// <summary>Single devices in table sim_devices.</summary>
internal sealed class EfDeviceStateStore(StoreAccess access, TimeProvider time) : IDeviceStateStore
{
    public Task<IReadOnlyList<StoredDevice>?> ListAsync(CancellationToken cancellationToken = default) =>
        access.RunAsync<IReadOnlyList<StoredDevice>?>("list devices", static async (context, ct) =>
        {
            var records = await context.Set<DeviceRecord>().AsNoTracking().OrderBy(d => d.CreatedAt).ThenBy(d => d.DeviceId).ToListAsync(ct).ConfigureAwait(false);
            return records.ConvertAll(static r => new StoredDevice(r.DeviceId, r.ModelId, r.DesiredRunning, new DateTimeOffset(r.CreatedAt), r.TenantId) { GroupId = r.GroupId, Endpoint = r.Endpoint });
        }, cancellationToken);

    public Task<bool> SaveAsync(StoredDevice device, CancellationToken cancellationToken = default) =>
        access.RunAsync($"save device '{device.DeviceId}'", async (context, ct) =>
        {
            var record = await context.Set<DeviceRecord>().FindAsync([device.TenantId, device.DeviceId], ct).ConfigureAwait(false);
            if (record is null)
            {
                context.Add(record = new DeviceRecord { DeviceId = device.DeviceId, TenantId = device.TenantId });
            }

            record.ModelId = device.ModelId;
            record.DesiredRunning = device.DesiredRunning;
            record.GroupId = device.GroupId;
            record.Endpoint = device.Endpoint;
            record.CreatedAt = device.CreatedAt.UtcDateTime;
            record.UpdatedAt = time.GetUtcNow().UtcDateTime;
            await context.SaveChangesAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task<bool> DeleteAsync(string deviceId, CancellationToken cancellationToken = default) =>
        access.RunAsync($"delete device '{deviceId}'", async (context, ct) =>
        {
            await context.Set<DeviceRecord>().Where(d => d.DeviceId == deviceId).ExecuteDeleteAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
}

/// <summary>Runs in table sim_runs.</summary>
internal sealed class EfRunStore(StoreAccess access) : IRunStore
{
    public Task<long?> StartAsync(SimulationRun run, CancellationToken cancellationToken = default) =>
        access.RunAsync<long?>($"record run of group '{run.GroupId}'", async (context, ct) =>
        {
            var record = new RunRecord
            {
                GroupId = run.GroupId,
                StartedAt = run.StartedAt.UtcDateTime,
                Strategy = LaunchConfigJson.StrategyName(run.Launch.Strategy),
                LaunchConfig = LaunchConfigJson.Write(run.Launch),
                Seed = run.Seed,
                DeviceCount = run.DeviceCount,
                PlannedDevices = run.PlannedDevices,
                ExpectedDurationMs = (long)run.ExpectedDuration.TotalMilliseconds,
                Resumed = run.Resumed,
            };
            context.Add(record);
            await context.SaveChangesAsync(ct).ConfigureAwait(false);
            return record.Id;
        }, cancellationToken);

    public Task<bool> EndAsync(long runId, DateTimeOffset endedAt, string reason, RunCounters counters, CancellationToken cancellationToken = default) =>
        access.RunAsync($"end run {runId}", async (context, ct) =>
        {
            var record = await context.Set<RunRecord>().FindAsync([runId], ct).ConfigureAwait(false);
            if (record is null || record.EndedAt is not null)
            {
                return false;
            }

            record.EndedAt = endedAt.UtcDateTime;
            record.EndReason = reason;
            record.RunningDevicesAtEnd = counters.RunningDevices;
            record.MessagesSentAtEnd = counters.MessagesSent;
            record.MessagesFailedAtEnd = counters.MessagesFailed;
            record.BytesSentAtEnd = counters.BytesSent;
            await context.SaveChangesAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task<int?> EndOpenRunsAsync(DateTimeOffset endedAt, string reason, CancellationToken cancellationToken = default) =>
        access.RunAsync<int?>("end open runs", async (context, ct) =>
        {
            var at = endedAt.UtcDateTime;
            return await context.Set<RunRecord>().Where(r => r.EndedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.EndedAt, at).SetProperty(r => r.EndReason, reason), ct).ConfigureAwait(false);
        }, cancellationToken);

    public Task<IReadOnlyList<SimulationRun>?> ListAsync(string? groupId, int limit, CancellationToken cancellationToken = default) =>
        access.RunAsync<IReadOnlyList<SimulationRun>?>("list runs", async (context, ct) =>
        {
            IQueryable<RunRecord> query = context.Set<RunRecord>().AsNoTracking();
            if (groupId is not null)
            {
                query = query.Where(r => r.GroupId == groupId);
            }

            var records = await query.OrderByDescending(r => r.Id).Take(limit).ToListAsync(ct).ConfigureAwait(false);
            return records.ConvertAll(static r => new SimulationRun(
                r.Id,
                r.GroupId,
                new DateTimeOffset(r.StartedAt),
                LaunchConfigJson.Read(r.LaunchConfig) ?? LaunchStrategy.Immediate,
                r.Seed,
                r.DeviceCount,
                r.PlannedDevices,
                TimeSpan.FromMilliseconds(r.ExpectedDurationMs),
                r.Resumed,
                r.EndedAt is { } ended ? new DateTimeOffset(ended) : null,
                r.EndReason,
                r.RunningDevicesAtEnd is { } running
                    ? new RunCounters(running, r.MessagesSentAtEnd ?? 0, r.MessagesFailedAtEnd ?? 0, r.BytesSentAtEnd ?? 0)
                    : null));
        }, cancellationToken);
}

/// <summary>Settings in table settings.</summary>
internal sealed class EfSettingsStore(StoreAccess access, TimeProvider time) : ISettingsStore
{
    public Task<IReadOnlyDictionary<string, string>?> ListAsync(CancellationToken cancellationToken = default) =>
        access.RunAsync<IReadOnlyDictionary<string, string>?>("list settings", static async (context, ct) =>
            await context.Set<SettingRecord>().AsNoTracking().ToDictionaryAsync(s => s.Key, s => s.Value, StringComparer.Ordinal, ct).ConfigureAwait(false),
            cancellationToken);

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken = default) =>
        access.RunAsync($"read setting '{key}'", async (context, ct) =>
            (await context.Set<SettingRecord>().AsNoTracking().SingleOrDefaultAsync(s => s.Key == key, ct).ConfigureAwait(false))?.Value,
            cancellationToken);

    public Task<bool> SetAsync(string key, string value, CancellationToken cancellationToken = default) =>
        access.RunAsync($"write setting '{key}'", async (context, ct) =>
        {
            var record = await context.Set<SettingRecord>().SingleOrDefaultAsync(s => s.Key == key, ct).ConfigureAwait(false);
            if (record is null)
            {
                context.Add(record = new SettingRecord { TenantId = context.TenantId ?? Tenancy.Tenants.Default, Key = key });
            }

            record.Value = value;
            record.UpdatedAt = time.GetUtcNow().UtcDateTime;
            await context.SaveChangesAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        access.RunAsync($"delete setting '{key}'", async (context, ct) =>
        {
            await context.Set<SettingRecord>().Where(s => s.Key == key).ExecuteDeleteAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
}

/// <summary>The stored form of a launch configuration: the seed README's JSON fields.</summary>
internal static class LaunchConfigJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static string Write(LaunchStrategy launch) => JsonSerializer.Serialize(launch, Options);

    public static LaunchStrategy? Read(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<LaunchStrategy>(json, Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string StrategyName(LaunchStrategyKind kind) => kind switch
    {
        LaunchStrategyKind.Linear => "linear",
        LaunchStrategyKind.Batch => "batch",
        LaunchStrategyKind.Exponential => "exponential",
        _ => "immediate",
    };
}
