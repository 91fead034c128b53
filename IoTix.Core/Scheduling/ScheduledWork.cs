namespace IoTix.Core.Scheduling;

/// <summary>What a scheduled entry asks its device to do when it falls due.</summary>
internal enum WorkKind : byte
{
    /// <summary>Generate and publish the device's due telemetry items.</summary>
    Telemetry,

    /// <summary>Start the device (a launch strategy's start offset).</summary>
    Launch,

    /// <summary>Drop the device (a dropout plan's drop time).</summary>
    Drop,

    /// <summary>Reconnect a dropped or failed device.</summary>
    Reconnect,

    /// <summary>A time trigger of behaviour <see cref="ScheduledWork.Arg"/>.</summary>
    BehaviorTimer,

    /// <summary>End of a timed failure effect or a periodic failure check (flap).</summary>
    Effect,
}

/// <summary>
/// One entry of the scheduler: a small struct stored by value in the heap array, so scheduling
/// allocates nothing. <see cref="Epoch"/> cancels lazily: a device bumps its epoch when it stops,
/// drops or is deleted, and entries of an older epoch are discarded when they fall due.
/// </summary>
internal struct ScheduledWork
{
    public long DueMs;

    /// <summary>Insertion order; breaks ties between equal due times (first scheduled runs first).</summary>
    public long Sequence;

    /// <summary>The device's slot in the engine's device table.</summary>
    public int Slot;

    public int Epoch;

    public int Arg;

    public WorkKind Kind;

    public readonly bool RunsBefore(in ScheduledWork other) =>
        DueMs < other.DueMs || (DueMs == other.DueMs && Sequence < other.Sequence);
}

/// <summary>Receives due work on the scheduler's loop (one thread at a time, under the scheduler's gate).</summary>
internal interface IScheduledWorkHandler
{
    /// <summary>Called once at the start of every tick, before due entries run (drain cross-thread inboxes here).</summary>
    void OnTickStart(long nowMs);

    /// <summary>Runs one due entry. <paramref name="work"/>.DueMs is the logical time of the work.</summary>
    void OnDue(in ScheduledWork work);
}
