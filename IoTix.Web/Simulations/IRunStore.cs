using IoTix.Core.Strategies;

namespace IoTix.Web.Simulations;

/// <summary>The record of group starts (runs): when, how, with which seed, and the counters when each ended.</summary>
public interface IRunStore
{
    /// <summary>Records a started run; returns its id, or null when it could not be stored.</summary>
    Task<long?> StartAsync(SimulationRun run, CancellationToken cancellationToken = default);

    /// <summary>Ends a run with its counters; false when it could not be stored.</summary>
    Task<bool> EndAsync(long runId, DateTimeOffset endedAt, string reason, RunCounters counters, CancellationToken cancellationToken = default);

    /// <summary>Ends every run still open (left by a process that did not stop cleanly); returns how many, or null when unavailable.</summary>
    Task<int?> EndOpenRunsAsync(DateTimeOffset endedAt, string reason, CancellationToken cancellationToken = default);

    /// <summary>The latest runs, newest first (of one group, or all); null when the database is unavailable.</summary>
    Task<IReadOnlyList<SimulationRun>?> ListAsync(string? groupId, int limit, CancellationToken cancellationToken = default);
}

/// <summary>One start of a group.</summary>
/// <param name="Seed">The run seed as <c>IoTix:Simulation:Seed</c> takes it (replays the run).</param>
/// <param name="Resumed">Started by the host at start-up rather than by a request.</param>
public sealed record SimulationRun(
    long Id,
    string GroupId,
    DateTimeOffset StartedAt,
    LaunchStrategy Launch,
    long Seed,
    int DeviceCount,
    int PlannedDevices,
    TimeSpan ExpectedDuration,
    bool Resumed,
    DateTimeOffset? EndedAt = null,
    string? EndReason = null,
    RunCounters? AtEnd = null);

/// <summary>A group's counters when a run ended.</summary>
public sealed record RunCounters(int RunningDevices, long MessagesSent, long MessagesFailed, long BytesSent);

/// <summary>Why a run ended.</summary>
public static class RunEndReasons
{
    public const string Stopped = "stopped";
    public const string Deleted = "deleted";
    public const string Restarted = "restarted";
    public const string HostStopped = "host-stopped";
    public const string Interrupted = "interrupted";
}
