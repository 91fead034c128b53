using IoTix.Core.Protocols;

namespace IoTix.Core.Devices;

/// <summary>Why an engine request failed.</summary>
public enum EngineErrorCode
{
    NotFound,
    AlreadyExists,
    InvalidArgument,

    /// <summary>No <see cref="Protocols.IProtocolAdapter"/> is registered for the model's protocol.</summary>
    NoAdapter,

    /// <summary>The model's generators or behaviours cannot be built.</summary>
    InvalidModel,

    /// <summary>The device or group is in a state that does not allow the request.</summary>
    InvalidState,

    /// <summary>The request would exceed <c>IoTix:Simulation:MaxDevices</c>.</summary>
    LimitExceeded,
}

/// <summary>An expected failure of an engine request, as a value.</summary>
public sealed record EngineError(EngineErrorCode Code, string Message)
{
    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>The outcome of an engine request: a value or an error.</summary>
public readonly struct EngineResult<T>
{
    private EngineResult(T? value, EngineError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public EngineError? Error { get; }

    public bool Succeeded => Error is null;

    public static EngineResult<T> Ok(T value) => new(value, null);

    public static EngineResult<T> Fail(EngineErrorCode code, string message) => new(default, new EngineError(code, message));

    public static implicit operator EngineResult<T>(EngineError error) => new(default, error);

    public override string ToString() => Succeeded ? $"ok: {Value}" : Error!.ToString();
}

/// <summary>Engine-wide counters (a snapshot).</summary>
public sealed record SimulationStats(
    ulong RunSeed,
    int DeviceCount,
    int RunningDeviceCount,
    long MessagesSent,
    long MessagesFailed,
    long BytesSent,
    long CommandsReceived,
    long CommandsDropped,
    IReadOnlyDictionary<string, int> DevicesByState,
    IReadOnlyList<GroupStats> Groups,
    SchedulerStats Scheduler)
{
    /// <summary>Latency of acknowledged publishes (MQTT QoS 1/2) of every device, deleted ones included.</summary>
    public PublishLatencySnapshot PublishLatency { get; init; } = PublishLatencySnapshot.Empty;
}

/// <summary>Counters of one group (a snapshot).</summary>
public sealed record GroupStats(
    string GroupId,
    string ModelId,
    int DeviceCount,
    int RunningDeviceCount,
    long MessagesSent,
    long MessagesFailed,
    long BytesSent,
    IReadOnlyDictionary<string, int> DevicesByState)
{
    /// <summary>Latency of the group's acknowledged publishes (MQTT QoS 1/2).</summary>
    public PublishLatencySnapshot PublishLatency { get; init; } = PublishLatencySnapshot.Empty;
}

/// <summary>Counters of the scheduler (a snapshot).</summary>
public sealed record SchedulerStats(long Ticks, long EntriesRun, long Overruns, int PendingEntries, int Timers);

/// <summary>One device's identity, state and counters (a snapshot).</summary>
public sealed record DeviceMetrics(
    string DeviceId,
    string? GroupId,
    int Index,
    string ModelId,
    DeviceState State,
    long MessagesSent,
    long MessagesFailed,
    long BytesSent,
    long CommandsReceived,
    int Drops,
    int Reconnects,
    DateTimeOffset? LastMessageAt,
    DateTimeOffset StateSince,
    string? LastError);

/// <summary>A group as created: its id, model and device ids.</summary>
public sealed record DeviceGroupInfo(string GroupId, string ModelId, int Count, string IdPattern, IReadOnlyList<string> DeviceIds);

/// <summary>A planned launch: when each device of the group starts, relative to the request.</summary>
public sealed record LaunchPlan(string GroupId, int DeviceCount, TimeSpan Duration);

/// <summary>A planned dropout: the chosen devices and their drop and reconnect offsets.</summary>
public sealed record DropoutSchedule(string GroupId, int EligibleCount, IReadOnlyList<PlannedDropout> Devices);

/// <summary>One device of a dropout.</summary>
public sealed record PlannedDropout(string DeviceId, TimeSpan DropAt, TimeSpan? ReconnectAt);
