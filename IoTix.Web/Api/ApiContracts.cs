using System.Text.Json.Serialization;

namespace IoTix.Web.Api;

// ---------------------------------------------------------------- requests (the seed README's JSON bodies)

/// <summary><c>POST /api/v1/devices</c>.</summary>
public sealed class CreateDeviceRequest
{
    /// <summary>The model of the device (required).</summary>
    public string? ModelId { get; set; }

    /// <summary>The device id; default <c>{modelId}-{n}</c>, or the group's id pattern at its next index.</summary>
    public string? DeviceId { get; set; }

    /// <summary>Optional: an existing group of the same model to add the device to (it then starts, stops and is deleted with the group).</summary>
    public string? GroupId { get; set; }

    /// <summary>Optional: where the device connects instead of its model's address, <c>host</c> or <c>host:port</c> (default: the group's override, if any).</summary>
    public string? Endpoint { get; set; }
}

/// <summary><c>POST /api/v1/groups</c>: <c>{"modelId", "count", "groupId", "idPattern"}</c>.</summary>
public sealed class CreateGroupRequest
{
    /// <summary>The model of every device (required).</summary>
    public string? ModelId { get; set; }

    /// <summary>Number of devices, at least 1 (default 1).</summary>
    public int? Count { get; set; }

    /// <summary>Group id; default <c>{modelId}-group-{n}</c>.</summary>
    public string? GroupId { get; set; }

    /// <summary>Device id pattern with <c>{index}</c> (0-based), e.g. <c>temp-sensor-{index}</c>; default <c>${groupId}-${index}</c>.</summary>
    public string? IdPattern { get; set; }
}

/// <summary><c>POST /api/v1/groups/{groupId}/start</c>: the launch configuration (seed README defaults).</summary>
public sealed class LaunchRequest
{
    /// <summary><c>immediate</c> (default), <c>linear</c>, <c>batch</c>, <c>exponential</c>.</summary>
    public string? Strategy { get; set; }

    /// <summary>Base delay in milliseconds (default 0).</summary>
    public int? DelayMs { get; set; }

    /// <summary>Devices per batch for <c>batch</c> (default 100).</summary>
    public int? BatchSize { get; set; }

    /// <summary>Cap of one delay for <c>exponential</c> (default 60000).</summary>
    public int? MaxDelayMs { get; set; }

    /// <summary>Multiplier of successive delays for <c>exponential</c> (default 1.5).</summary>
    public double? ExponentBase { get; set; }
}

/// <summary><c>POST /api/v1/groups/{groupId}/dropout</c> (seed README defaults).</summary>
public sealed class DropoutRequest
{
    /// <summary><c>immediate</c>, <c>linear</c> (default), <c>exponential</c>, <c>random</c>.</summary>
    public string? Strategy { get; set; }

    /// <summary>Devices to drop; takes precedence over <c>percentage</c>.</summary>
    public int? Count { get; set; }

    /// <summary>Percentage (0-100) of the running devices to drop.</summary>
    public double? Percentage { get; set; }

    /// <summary>Base delay between dropouts in milliseconds (default 1000).</summary>
    public int? DelayMs { get; set; }

    /// <summary>Window of <c>random</c> in milliseconds (default 60000).</summary>
    public int? DurationMs { get; set; }

    /// <summary>Rate multiplier of <c>exponential</c> (default 1.5).</summary>
    public double? ExponentBase { get; set; }

    /// <summary>Whether dropped devices reconnect (default false).</summary>
    public bool? Reconnect { get; set; }

    /// <summary>Delay from a device's drop to its reconnection in milliseconds (default 0).</summary>
    public int? ReconnectDelayMs { get; set; }
}

// ---------------------------------------------------------------- responses

/// <summary>A page of a list: the items, the total count and where the page starts.</summary>
public sealed record PageResponse<T>(IReadOnlyList<T> Items, int Total, int Offset, int Limit, int Page, int PageSize);

/// <summary>A device model in a list.</summary>
public sealed record ModelSummaryResponse(
    string Id,
    string Name,
    string? Description,
    string? Version,
    string Type,
    string Protocol,
    int TelemetryCount,
    int CommandCount,
    int BehaviorCount,
    string Source,
    string? File);

/// <summary>The answer of <c>POST /api/v1/models/validate</c>.</summary>
public sealed record ModelValidationResponse(bool Valid, string? ModelId, IReadOnlyList<ModelErrorResponse> Errors);

public sealed record ModelErrorResponse(string Path, string Message);

/// <summary>A device: identity, lifecycle state and desired state.</summary>
public sealed record DeviceResponse(
    string DeviceId,
    string? GroupId,
    int Index,
    string ModelId,
    string State,
    DateTimeOffset StateSince,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DesiredState,
    string? LastError,
    string? ModelRevision = null,
    string? LatestModelRevision = null,
    bool ModelOutdated = false);

/// <summary>A device's counters.</summary>
public sealed record DeviceMetricsResponse(
    string DeviceId,
    string State,
    long MessagesSent,
    long MessagesFailed,
    long BytesSent,
    long CommandsReceived,
    int Drops,
    int Reconnects,
    DateTimeOffset? LastMessageAt,
    DateTimeOffset StateSince,
    string? LastError);

/// <summary>A launch configuration with every default filled in.</summary>
public sealed record LaunchConfigResponse(string Strategy, int DelayMs, int BatchSize, int MaxDelayMs, double ExponentBase);

/// <summary>A group: specification, desired state, counters and the progress of its latest start.</summary>
public sealed record GroupResponse(
    string GroupId,
    string ModelId,
    int Count,
    string IdPattern,
    DateTimeOffset CreatedAt,
    bool Running,
    LaunchConfigResponse? Launch,
    int DeviceCount,
    int RunningDeviceCount,
    long MessagesSent,
    long MessagesFailed,
    long BytesSent,
    IReadOnlyDictionary<string, int> DevicesByState,
    ProgressResponse? Progress,
    string? ModelRevision = null,
    string? LatestModelRevision = null,
    bool ModelOutdated = false);

/// <summary>Launch progress: started/running/pending counts and the expected duration (start fields null before the first start).</summary>
public sealed record ProgressResponse(
    string GroupId,
    bool Running,
    long? RunId,
    DateTimeOffset? StartedAt,
    long ExpectedDurationMs,
    DateTimeOffset? ExpectedCompletionAt,
    int PlannedDevices,
    int StartedDevices,
    int PendingDevices,
    int StartingDevices,
    int RunningDevices,
    int FailedDevices,
    int DroppedDevices,
    int ReconnectingDevices,
    bool Complete);

/// <summary>202 answer of a group start: the scheduled plan and where to follow it.</summary>
public sealed record LaunchAcceptedResponse(
    string GroupId,
    long? RunId,
    LaunchConfigResponse Launch,
    int PlannedDevices,
    long ExpectedDurationMs,
    DateTimeOffset StartedAt,
    DateTimeOffset ExpectedCompletionAt,
    string StatusUrl,
    string? ModelRevision = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UpdatedFromRevision = null);

public sealed record GroupStopResponse(string GroupId, int StoppedDevices);

/// <summary>202 answer of a dropout: the chosen devices (the first <c>listedDevices</c>) and their offsets.</summary>
public sealed record DropoutAcceptedResponse(
    string GroupId,
    string Strategy,
    int EligibleDevices,
    int DroppedDevices,
    long DurationMs,
    bool Reconnect,
    int ListedDevices,
    IReadOnlyList<PlannedDropoutResponse> Devices);

public sealed record PlannedDropoutResponse(string DeviceId, long DropAtMs, long? ReconnectAtMs);

/// <summary>One point of a preview: how many devices have started (or dropped) by <c>atMs</c>.</summary>
public sealed record TimelinePoint(long AtMs, int Devices);

public sealed record LaunchPreviewResponse(
    string GroupId,
    LaunchConfigResponse Launch,
    int DeviceCount,
    long TotalDurationMs,
    IReadOnlyList<long> FirstOffsetsMs,
    IReadOnlyList<TimelinePoint> Timeline);

public sealed record DropoutPreviewResponse(
    string GroupId,
    string Strategy,
    int EligibleDevices,
    int DroppedDevices,
    long TotalDurationMs,
    bool Reconnect,
    long? LastReconnectAtMs,
    IReadOnlyList<long> FirstOffsetsMs,
    IReadOnlyList<TimelinePoint> Timeline);

public sealed record RunResponse(
    long Id,
    string GroupId,
    DateTimeOffset StartedAt,
    LaunchConfigResponse Launch,
    string Seed,
    int DeviceCount,
    int PlannedDevices,
    long ExpectedDurationMs,
    bool Resumed,
    DateTimeOffset? EndedAt,
    string? EndReason,
    int? RunningDevicesAtEnd,
    long? MessagesSentAtEnd,
    long? MessagesFailedAtEnd,
    long? BytesSentAtEnd);

public sealed record GroupStatsResponse(
    string GroupId,
    string ModelId,
    int DeviceCount,
    int RunningDeviceCount,
    long MessagesSent,
    long MessagesFailed,
    long BytesSent,
    IReadOnlyDictionary<string, int> DevicesByState);

public sealed record SchedulerStatsResponse(long Ticks, long EntriesRun, long Overruns, int PendingEntries, int Timers);

/// <summary><c>GET /api/v1/stats</c>: the seed's deviceCount, runningDeviceCount, messagesSent, and more.</summary>
public sealed record StatsResponse(
    int DeviceCount,
    int RunningDeviceCount,
    long MessagesSent,
    long MessagesFailed,
    long BytesSent,
    long CommandsReceived,
    long CommandsDropped,
    IReadOnlyDictionary<string, int> DevicesByState,
    IReadOnlyList<GroupStatsResponse> Groups,
    string RunSeed,
    DateTimeOffset StartedAt,
    double UptimeSeconds,
    IReadOnlyList<string> Protocols,
    SchedulerStatsResponse? Scheduler);
