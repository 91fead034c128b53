namespace IoTix.Broker.History;

/// <summary>
/// Message history for the API and the console (FR-030..FR-032, SC-009): what is captured, queries, and replay jobs
/// that publish a query's result again through the hosted broker. Expected failures are values.
/// </summary>
public interface IMessageHistory
{
    /// <summary>Configuration and counters of the capture.</summary>
    HistoryStatus GetStatus();

    /// <summary>One page of captured messages in order (time, then capture order); null when the store is unavailable or absent.</summary>
    Task<HistoryPage?> QueryAsync(HistoryQuery query, CancellationToken cancellationToken = default);

    /// <summary>Starts a replay job (it runs in the background); the job, or why it was not started.</summary>
    ReplayStartResult StartReplay(ReplayRequest request);

    /// <summary>A job by id (running or among the last finished ones); null when unknown.</summary>
    ReplayJobInfo? GetReplay(string id);

    /// <summary>Known jobs, newest first.</summary>
    IReadOnlyList<ReplayJobInfo> ListReplays();

    /// <summary>Asks a queued or running job to stop; false when unknown or already finished.</summary>
    bool CancelReplay(string id);
}

/// <summary>What history captures and how it went since start.</summary>
/// <param name="Enabled">topics are configured and a store exists</param>
/// <param name="Captured">messages stored</param>
/// <param name="Dropped">messages not captured because the queue was full (<c>Broker:History:QueueCapacity</c>)</param>
/// <param name="Skipped">messages not stored because the store was unavailable</param>
public sealed record HistoryStatus(bool Enabled, IReadOnlyList<string> Topics, TimeSpan ConfiguredRetention, long Captured, long Queued, long Dropped, long Skipped, bool StoreUnavailable);

/// <summary>How fast a replay publishes.</summary>
public enum ReplayPace
{
    /// <summary>The original gaps between messages.</summary>
    Original,

    /// <summary>The original gaps divided by <see cref="ReplayRequest.Speed"/> (2 = twice as fast, 0.5 = half speed).</summary>
    Scaled,

    /// <summary>One after the other without waiting.</summary>
    AsFastAsPossible,
}

/// <summary>
/// A replay: the messages of the history query (<paramref name="TopicFilter"/>, [<paramref name="From"/>,
/// <paramref name="To"/>)) in order, each to its own topic or to <paramref name="TargetTopic"/>.
/// </summary>
/// <param name="Tenant">
/// a tenant with its own topic namespace (<c>tenants/{tenant}/</c>, <see cref="Security.TenantTopics"/>): the replay
/// reads only that tenant's history and publishes only inside its namespace (a target topic outside is refused, a
/// message outside fails the job). Null: the installation's own (default) tenant, without a namespace.
/// </param>
public sealed record ReplayRequest(string TopicFilter, DateTimeOffset? From, DateTimeOffset? To, string? TargetTopic, ReplayPace Pace, double Speed, string? Tenant = null);

public enum ReplayState
{
    Queued,
    Running,
    Completed,
    Cancelled,
    Failed,
}

/// <summary>
/// A replay job. Timing fidelity: <paramref name="MaxLagMs"/> / <paramref name="MeanLagMs"/> are how late each
/// publish left against its target offset from the first one (0 for as-fast-as-possible).
/// </summary>
/// <param name="Total">messages selected (at most <c>Broker:History:MaxReplayMessages</c>; <paramref name="Truncated"/> when more matched)</param>
public sealed record ReplayJobInfo(
    string Id,
    ReplayRequest Request,
    ReplayState State,
    int Total,
    int Published,
    bool Truncated,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    double MaxLagMs,
    double MeanLagMs,
    string? Error);

/// <summary>Answer of <see cref="IMessageHistory.StartReplay"/>: the job, or the reason it was refused.</summary>
public sealed record ReplayStartResult(ReplayJobInfo? Job, string? Error)
{
    public bool Started => Job is not null;
}
