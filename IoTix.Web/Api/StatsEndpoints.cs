using IoTix.Web.Simulations;

using IoTix.Web.Accounts;
using IoTix.Web.Tenancy;

namespace IoTix.Web.Api;

/// <summary><c>/api/v1/stats</c>: the caller's tenant's counters (the platform's default tenant: the whole engine's).</summary>
internal static class StatsEndpoints
{
    public static void MapStats(this RouteGroupBuilder api)
    {
        api.MapGet("/stats", Get)
            .RequirePermission(Permissions.SimulationsRead)
            .WithTags("Stats")
            .WithSummary("Engine statistics: deviceCount, runningDeviceCount, messagesSent and more")
            .Produces<StatsResponse>();
    }

    private static IResult Get(SimulationOrchestrator simulations, ITenantContext tenant, TimeProvider time)
    {
        var stats = simulations.GetStats(); // the caller's tenant's groups and devices
        var groups = new List<GroupStatsResponse>(stats.Groups.Count);
        foreach (var g in stats.Groups)
        {
            groups.Add(new GroupStatsResponse(g.GroupId, g.ModelId, g.DeviceCount, g.RunningDeviceCount, g.MessagesSent, g.MessagesFailed, g.BytesSent, g.DevicesByState));
        }

        var protocols = new List<string>(simulations.Engine.Protocols);
        protocols.Sort(StringComparer.Ordinal);
        var s = stats.Scheduler;
        return Results.Ok(new StatsResponse(
            stats.DeviceCount,
            stats.RunningDeviceCount,
            stats.MessagesSent,
            stats.MessagesFailed,
            stats.BytesSent,
            stats.CommandsReceived,
            stats.CommandsDropped,
            stats.DevicesByState,
            groups,
            simulations.RunSeed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            simulations.StartedAt,
            Math.Round((time.GetUtcNow() - simulations.StartedAt).TotalSeconds, 3),
            protocols,
            // The scheduler serves every tenant's devices: its counters are the platform's (null for other tenants).
            string.Equals(tenant.TenantId, Tenants.Default, StringComparison.Ordinal) ? new SchedulerStatsResponse(s.Ticks, s.EntriesRun, s.Overruns, s.PendingEntries, s.Timers) : null));
    }
}
