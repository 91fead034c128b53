namespace IoTix.Core.Devices;

/// <summary>The lifecycle states of a simulated device.</summary>
public enum DeviceState
{
    Created,
    Starting,
    Running,
    Stopping,
    Stopped,
    Dropped,
    Reconnecting,
    Failed,
}

/// <summary>
/// The device lifecycle: the explicit table of legal transitions. Anything not in the table is
/// refused (as a value, with the reason) and logged.
/// </summary>
/// <remarks>
/// <code>
/// created      -> starting
/// starting     -> running | failed | stopping
/// running      -> stopping | dropped | failed | reconnecting
/// stopping     -> stopped
/// stopped      -> starting
/// dropped      -> reconnecting | stopping
/// reconnecting -> running | failed | dropped | stopping
/// failed       -> starting | reconnecting | stopping
/// </code>
/// </remarks>
public static class DeviceLifecycle
{
    public const int StateCount = 8;

    private static readonly DeviceState[][] Table =
    [
        /* Created */      [DeviceState.Starting],
        /* Starting */     [DeviceState.Running, DeviceState.Failed, DeviceState.Stopping],
        /* Running */      [DeviceState.Stopping, DeviceState.Dropped, DeviceState.Failed, DeviceState.Reconnecting],
        /* Stopping */     [DeviceState.Stopped],
        /* Stopped */      [DeviceState.Starting],
        /* Dropped */      [DeviceState.Reconnecting, DeviceState.Stopping],
        /* Reconnecting */ [DeviceState.Running, DeviceState.Failed, DeviceState.Dropped, DeviceState.Stopping],
        /* Failed */       [DeviceState.Starting, DeviceState.Reconnecting, DeviceState.Stopping],
    ];

    private static readonly string[] Names = ["created", "starting", "running", "stopping", "stopped", "dropped", "reconnecting", "failed"];

    /// <summary>The lifecycle state names, comma separated (for messages).</summary>
    public static string StateNames { get; } = string.Join(", ", Names);

    /// <summary>States reachable from <paramref name="from"/> in one step.</summary>
    public static IReadOnlyList<DeviceState> LegalTargets(DeviceState from) => Table[(int)from];

    public static bool IsLegal(DeviceState from, DeviceState to)
    {
        foreach (var s in Table[(int)from])
        {
            if (s == to)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The lower-case name used in models, the API and metrics (<c>running</c>).</summary>
    public static string Name(DeviceState state) => Names[(int)state];

    public static bool TryParseState(string name, out DeviceState state)
    {
        for (int i = 0; i < Names.Length; i++)
        {
            if (string.Equals(Names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                state = (DeviceState)i;
                return true;
            }
        }

        state = default;
        return false;
    }

    /// <summary>Checks a transition: the result carries the reason when it is refused.</summary>
    public static TransitionResult Check(DeviceState from, DeviceState to) =>
        IsLegal(from, to)
            ? new TransitionResult(true, from, to, null)
            : new TransitionResult(false, from, to, $"illegal transition {Name(from)} -> {Name(to)} (allowed from {Name(from)}: {string.Join(", ", Array.ConvertAll(Table[(int)from], Name))})");
}

/// <summary>The outcome of a lifecycle transition request.</summary>
public readonly record struct TransitionResult(bool Succeeded, DeviceState From, DeviceState To, string? Reason);

/// <summary>Raised on every lifecycle transition (built only when someone listens).</summary>
public sealed class DeviceStateChangedEventArgs(string deviceId, string? groupId, DeviceState from, DeviceState to, DateTimeOffset timestamp, string? reason) : EventArgs
{
    public string DeviceId { get; } = deviceId;

    public string? GroupId { get; } = groupId;

    public DeviceState From { get; } = from;

    public DeviceState To { get; } = to;

    public DateTimeOffset Timestamp { get; } = timestamp;

    /// <summary>Why (dropout, connect failure, behaviour name ...), when known.</summary>
    public string? Reason { get; } = reason;
}

internal static class DeviceDefaults
{
    public const string TopicPattern = "devices/${deviceId}/telemetry";
    public const string IdPattern = "${groupId}-${index}";
}
