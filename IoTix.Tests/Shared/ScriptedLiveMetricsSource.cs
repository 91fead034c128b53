using IoTix.Broker.Observability;
using IoTix.Core.Devices;
using IoTix.Web.LiveMetrics;

namespace IoTix.Tests.Shared;

/// <summary>A live metrics source whose counters a test sets, for the sampler and dashboard tests on a fake clock.</summary>
internal sealed class ScriptedLiveMetricsSource : ILiveMetricsSource
{
    public SimulationStats Stats { get; set; } = Simulation();

    public BrokerMetricsSnapshot? Broker { get; set; }

    public SimulationStats GetSimulationStats() => Stats;

    public BrokerMetricsSnapshot? GetBrokerMetrics() => Broker;

    /// <summary>Engine statistics made of these groups (totals are their sums).</summary>
    public static SimulationStats Simulation(params GroupCounters[] groups)
    {
        var list = new List<GroupStats>();
        int devices = 0, running = 0, dropped = 0;
        long sent = 0, failed = 0, bytes = 0;
        foreach (var g in groups)
        {
            list.Add(new GroupStats(g.GroupId, "simple-temperature", g.Devices, g.Running, g.Sent, g.Failed, g.Bytes, States(g.Running, g.Dropped)));
            devices += g.Devices;
            running += g.Running;
            dropped += g.Dropped;
            sent += g.Sent;
            failed += g.Failed;
            bytes += g.Bytes;
        }

        return new SimulationStats(42, devices, running, sent, failed, bytes, 0, 0, States(running, dropped), list, new SchedulerStats(0, 0, 0, 0, 0));
    }

    public static BrokerMetricsSnapshot BrokerCounters(long connections, long received, long sent, long dropped = 0) =>
        new(connections, connections, 0, received, sent, 0, 0, dropped, 0, 0, 0, 0, 0, 0, 0, 0, []);

    private static Dictionary<string, int> States(int running, int dropped) => new(StringComparer.Ordinal)
    {
        ["running"] = running,
        ["dropped"] = dropped,
    };
}

internal readonly record struct GroupCounters(string GroupId, int Devices, int Running, long Sent, long Failed = 0, long Bytes = 0, int Dropped = 0);
