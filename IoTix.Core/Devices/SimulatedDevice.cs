using System.Text.Json;
using IoTix.Core.Behaviors;
using IoTix.Core.Generators;
using IoTix.Core.Models;
using IoTix.Core.Protocols;

namespace IoTix.Core.Devices;

/// <summary>
/// One simulated device: identity, model, current values, state variables, generators, behaviour
/// state and its connection. Owned by the <see cref="SimulationEngine"/>; its mutable parts are
/// touched only on the scheduler's loop (under the engine's gate). Public members are safe to read
/// from any thread (counters may be a moment old).
/// </summary>
/// <remarks>
/// A process holds up to a million of these, so the object carries only what every running
/// device touches per message (values, random sources, topic, counters, schedule). Behaviour,
/// failure-mode, command and error state live in <see cref="DeviceExtras"/>, allocated when a
/// model needs it (behaviours, state variables, several topics) or on the first rare event
/// (a drop, an error, a command, a failure mode). The device is also its connection's
/// <see cref="IDeviceConnectionEvents"/>, so no callback object exists per device.
/// </remarks>
public sealed class SimulatedDevice : ITemplateSource, IDeviceConnectionEvents
{
    /// <summary>Set in <see cref="_state"/> once the device is deleted (the low bits hold the <see cref="DeviceState"/>).</summary>
    private const int DeletedFlag = 1 << 16;
    private const int StateMask = DeletedFlag - 1;

    private int _state;

    internal SimulatedDevice(string ns, string localId, int index, ModelRuntime runtime, TelemetryGenerator?[]? generators)
    {
        string id = localId;
        Namespace = ns;
        LocalId = localId;
        Id = DeviceNamespace.Key(ns, localId);
        Index = index;
        Runtime = runtime;
        var telemetry = runtime.Model.Telemetry;
        Generators = generators;
        Values = new TelemetryValue[telemetry.Count];
        for (int i = 0; i < Values.Length; i++)
        {
            Values[i].Type = telemetry[i].Type;
        }

        if (runtime.UsesItemRandoms)
        {
            // Item i draws from stream i, as the item's generator object would (same values).
            ulong runSeed = runtime.Engine.RunSeed;
            ItemRandoms = new DeviceRandom[Values.Length];
            for (int i = 0; i < ItemRandoms.Length; i++)
            {
                if (runtime.SharedGenerators[i] is { UsesRandom: true })
                {
                    ItemRandoms[i] = DeviceRandom.For(runSeed, id, i);
                }
            }
        }

        if (runtime.UniformIntervalMs == 0)
        {
            ItemDueMs = new long[Values.Length];
        }

        if (runtime.HasDeviceExtras)
        {
            Extras = new DeviceExtras(runtime, id);
        }
    }

    /// <summary>The engine key: <see cref="Namespace"/> + <see cref="LocalId"/> (the id itself without a namespace).</summary>
    public string Id { get; }

    /// <summary>The device id inside its namespace: what payloads and <c>${deviceId}</c> carry; random sources are seeded from it.</summary>
    public string LocalId { get; }

    /// <summary>The device's namespace (empty for none); see <see cref="DeviceNamespace"/>.</summary>
    public string Namespace { get; }

    /// <summary>Position in the group (0-based).</summary>
    public int Index { get; }

    /// <summary>The engine key of the device's group, or null.</summary>
    public string? GroupId => Group?.GroupId;

    /// <summary>The id of the device's group inside its namespace (what <c>${groupId}</c> renders), or null.</summary>
    public string? LocalGroupId => Group?.LocalGroupId;

    public DeviceModel Model => Runtime.Model;

    public DeviceState State => (DeviceState)(Volatile.Read(ref _state) & StateMask);

    /// <summary>Current telemetry values, indexed like <c>Model.Telemetry</c> (read on the loop for a consistent view).</summary>
    public ReadOnlySpan<TelemetryValue> CurrentValues => Values;

    /// <summary>Current state variables, named by <see cref="StateNames"/>.</summary>
    public ReadOnlySpan<TelemetryValue> CurrentState => StateValues;

    public IReadOnlyList<string> StateNames => Runtime.Symbols.StateNames;

    // ---- engine-owned machinery (loop thread, under the gate) ----
    internal ModelRuntime Runtime { get; }

    internal DeviceGroup? Group;

    internal readonly TelemetryValue[] Values;

    /// <summary>Generator objects of the items without a shared generator (null entries for shared items); null when every item is shared.</summary>
    internal readonly TelemetryGenerator?[]? Generators;

    /// <summary>Random sources of the items whose shared generator draws (stream = item index); null when none does.</summary>
    internal readonly DeviceRandom[]? ItemRandoms;

    /// <summary>Next due time per item; null when all items share one interval (the scheduler entry carries the due time).</summary>
    internal readonly long[]? ItemDueMs;

    /// <summary>The rendered connection topic (topic 0); items' own topics are in <see cref="DeviceExtras.Topics"/>.</summary>
    internal string Topic = string.Empty;

    internal IDeviceConnection Connection = null!;

    /// <summary>Rarely used state; see <see cref="X"/>.</summary>
    internal DeviceExtras? Extras;

    internal int Slot = -1;

    /// <summary>Bumped when the device stops, drops, fails or is deleted: cancels its scheduled work lazily.</summary>
    internal int Epoch;

    internal long StartedAtMs;

    // counters
    internal long MessagesSent;
    internal long BytesSent;
    internal long LastMessageMs = -1;
    internal long StateSinceMs;

    /// <summary>The side object, created on first use (thread-safe: commands arrive from any thread).</summary>
    internal DeviceExtras X => Volatile.Read(ref Extras) ?? CreateExtras();

    internal TelemetryValue[] StateValues => Extras?.StateValues ?? [];

    internal bool Deleted => (Volatile.Read(ref _state) & DeletedFlag) != 0;

    /// <summary>Marks the device deleted (under the gate): late inbox items and timers for it are ignored.</summary>
    internal void MarkDeleted() => Volatile.Write(ref _state, _state | DeletedFlag);

    internal string TopicAt(int topic) => topic == 0 ? Topic : Extras!.Topics![topic];

    private DeviceExtras CreateExtras()
    {
        var created = new DeviceExtras(Runtime, LocalId);
        return Interlocked.CompareExchange(ref Extras, created, null) ?? created;
    }

    /// <summary>Moves to <paramref name="to"/> if the lifecycle table allows it; otherwise refuses with the reason.</summary>
    internal TransitionResult TryTransition(DeviceState to, long nowMs)
    {
        var result = DeviceLifecycle.Check(State, to);
        if (result.Succeeded)
        {
            Volatile.Write(ref _state, (int)to | (_state & DeletedFlag));
            StateSinceMs = nowMs;
            if (to is DeviceState.Stopping or DeviceState.Dropped or DeviceState.Failed)
            {
                Epoch++;
            }
        }

        return result;
    }

    string ITemplateSource.DeviceId => LocalId;

    string? ITemplateSource.GroupId => LocalGroupId;

    string ITemplateSource.LifecycleStateName => DeviceLifecycle.Name(State);

    DateTimeOffset ITemplateSource.NowUtc => Runtime.Engine.Scheduler.ToUtc(Extras?.NowMs ?? 0);

    ReadOnlySpan<TelemetryValue> ITemplateSource.TelemetryValues => Values;

    ReadOnlySpan<TelemetryValue> ITemplateSource.StateValues => StateValues;

    JsonElement? ITemplateSource.CommandParameters => Extras?.Parameters;

    void IDeviceConnectionEvents.CommandReceived(string commandName, ReadOnlySpan<byte> payload) =>
        Runtime.Engine.OnCommandReceived(this, commandName, payload);

    void IDeviceConnectionEvents.CommandReceived(string commandName, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> responseTopic, ReadOnlySpan<byte> correlationData) =>
        Runtime.Engine.OnCommandReceived(this, commandName, payload, responseTopic, correlationData);

    void IDeviceConnectionEvents.ConnectionLost(string reason) => Runtime.Engine.OnConnectionLost(this, reason, reconnect: false);

    void IDeviceConnectionEvents.ConnectionLost(string reason, bool reconnect) => Runtime.Engine.OnConnectionLost(this, reason, reconnect);

    public override string ToString() => $"{Id} ({DeviceLifecycle.Name(State)})";
}

/// <summary>
/// The rarely used part of a device: behaviour and failure-mode state, command parameters, the
/// last error and the rare counters. Most devices of a large run never allocate one.
/// </summary>
internal sealed class DeviceExtras
{
    public DeviceExtras(ModelRuntime runtime, string deviceId)
    {
        Random = DeviceRandom.For(runtime.Engine.RunSeed, deviceId, stream: 0x7FFF_0001);
        var initial = runtime.Symbols.InitialState;
        StateValues = initial.Length == 0 ? [] : (TelemetryValue[])initial.Clone();
        int behaviors = runtime.Behaviors.Behaviors.Length;
        if (behaviors > 0)
        {
            ConditionState = new bool[behaviors];
            LastFiredMs = new long[behaviors];
            Array.Fill(LastFiredMs, long.MinValue);
        }
    }

    public readonly TelemetryValue[] StateValues;

    /// <summary>All rendered topics when the model has more than one (items with their own topic).</summary>
    public string[]? Topics;

    /// <summary>The device's own random source (spike, flap), seeded from the run seed and the id.</summary>
    public DeviceRandom Random;

    /// <summary>Logical time of the behaviour being run (templates' <c>${timestamp}</c>).</summary>
    public long NowMs;

    public readonly bool[]? ConditionState;
    public readonly long[]? LastFiredMs;
    public string?[]? BehaviorTopics;
    public ItemEffect[]? Effects;
    public long SilenceUntilMs;
    public long FlapUntilMs;
    public double FlapProbability;
    public long FlapOutageMs;

    /// <summary>Bumped when failure effects are replaced or cleared: cancels periodic effect checks.</summary>
    public int EffectEpoch;

    public JsonElement? Parameters;

    /// <summary>The device's shadow topic root, rendered on first use.</summary>
    public string? ShadowPrefix;
    public string? LastError;
    public long MessagesFailed;
    public long CommandsReceived;
    public int Drops;
    public int Reconnects;
}

/// <summary>Failure effects active on one telemetry item of one device (ms timestamps on the scheduler clock; 0 = off).</summary>
internal struct ItemEffect
{
    public long StuckUntil;
    public long SpikeUntil;
    public double SpikeMagnitude;
    public double SpikeProbability;
    public long DriftUntil;
    public long DriftFrom;
    public double DriftPerSecond;
    public long DrainUntil;
    public long DrainFrom;
    public double DrainStart;
    public double DrainPerMinute;
}
