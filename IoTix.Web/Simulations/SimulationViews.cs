using IoTix.Core.Devices;
using IoTix.Core.Strategies;

namespace IoTix.Web.Simulations;

/// <summary>A group as the API and the console show it: specification, desired state, live counters and launch progress.</summary>
public sealed record GroupView(
    string GroupId,
    string ModelId,
    int Count,
    string IdPattern,
    DateTimeOffset CreatedAt,
    bool Running,
    LaunchStrategy? Launch,
    GroupStats Stats,
    LaunchProgress? Progress)
{
    /// <summary>The model revision the group's devices run and the catalog's current one.</summary>
    public ModelRevisionInfo? ModelRevision { get; init; }
}

/// <summary>
/// Progress of a group's latest start. Pending devices wait for their launch slot (created or stopped while the
/// group runs); started ones have left that state. Complete when nothing is pending or connecting.
/// </summary>
public sealed record LaunchProgress(
    long? RunId,
    DateTimeOffset StartedAt,
    TimeSpan ExpectedDuration,
    int PlannedDevices,
    int StartedDevices,
    int PendingDevices,
    int StartingDevices,
    int RunningDevices,
    int FailedDevices,
    int DroppedDevices,
    int ReconnectingDevices,
    bool Complete);

/// <summary>A start request's answer: the plan the engine scheduled.</summary>
public sealed record LaunchReceipt(string GroupId, long? RunId, LaunchStrategy Launch, LaunchPlan Plan, DateTimeOffset StartedAt)
{
    /// <summary>The model revision the started devices run.</summary>
    public string? ModelRevision { get; init; }

    /// <summary>Set when this start rebuilt the devices from a newer model revision: the revision they ran before.</summary>
    public string? UpdatedFromRevision { get; init; }
}

/// <summary>A device and its desired state (null for devices of a group: the group's state applies).</summary>
public sealed record DeviceView(DeviceMetrics Metrics, bool? DesiredRunning)
{
    /// <summary>The model revision the device runs and the catalog's current one.</summary>
    public ModelRevisionInfo? ModelRevision { get; init; }
}
