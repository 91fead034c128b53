using System.Text.Json;
using IoTix.Core.Behaviors;
using IoTix.Core.Generators;
using IoTix.Core.Payloads;
using IoTix.Core.Models;
using IoTix.Core.Protocols;

namespace IoTix.Core.Devices;

/// <summary>
/// One simulated device: identity, model, current values, state variables, generators, behaviour
/// state and its connection. Owned by the <see cref="SimulationEngine"/>; its mutable parts are
/// touched only on the scheduler's loop (under the engine's gate). Public members are safe to read
/// from any thread (counters may be a moment old).
/// </summary>
public sealed class SimulatedDevice : ITemplateSource
{
    private int _state;

    internal SimulatedDevice(string id, int index, string? groupId, ModelRuntime runtime, TelemetryGenerator[] generators, ulong runSeed)
    {
        Id = id;
        Index = index;
        GroupId = groupId;
        Runtime = runtime;
        EncodedId = TelemetryPayloadLayout.EncodeDeviceId(id);
        Generators = generators;
        Values = new TelemetryValue[generators.Length];
        for (int i = 0; i < Values.Length; i++)
        {
            Values[i].Type = runtime.Model.Telemetry[i].Type;
        }

        StateValues = (TelemetryValue[])runtime.Symbols.InitialState.Clone();
        ItemDueMs = new long[generators.Length];
        Random = DeviceRandom.For(runSeed, id, stream: 0x7FFF_0001);
        int behaviors = runtime.Behaviors.Behaviors.Length;
        if (behaviors > 0)
        {
            ConditionState = new bool[behaviors];
            LastFiredMs = new long[behaviors];
            Array.Fill(LastFiredMs, long.MinValue);
        }
    }

    public string Id { get; }

    /// <summary>Position in the group (0-based).</summary>
    public int Index { get; }

    public string? GroupId { get; }

    public DeviceModel Model => Runtime.Model;

    public DeviceState State => (DeviceState)Volatile.Read(ref _state);

    /// <summary>Current telemetry values, indexed like <c>Model.Telemetry</c> (read on the loop for a consistent view).</summary>
    public ReadOnlySpan<TelemetryValue> CurrentValues => Values;

    /// <summary>Current state variables, named by <see cref="StateNames"/>.</summary>
    public ReadOnlySpan<TelemetryValue> CurrentState => StateValues;

    public IReadOnlyList<string> StateNames => Runtime.Symbols.StateNames;

    // ---- engine-owned machinery (loop thread, under the gate) ----
    internal ModelRuntime Runtime { get; }

    /// <summary>The id, JSON-encoded once for every payload the device sends.</summary>
    internal System.Text.Json.JsonEncodedText EncodedId { get; }

    internal TelemetryGenerator[] Generators { get; }

    internal TelemetryValue[] Values { get; }

    internal TelemetryValue[] StateValues { get; }

    internal long[] ItemDueMs { get; }

    internal DeviceRandom Random;

    internal int Slot = -1;

    /// <summary>Bumped when the device stops, drops, fails or is deleted: cancels its scheduled work lazily.</summary>
    internal int Epoch;

    /// <summary>Bumped when failure effects are replaced or cleared: cancels periodic effect checks.</summary>
    internal int EffectEpoch;

    internal IDeviceConnection Connection = null!;

    internal string[] Topics = [];

    internal DeviceGroup? Group;

    internal long StartedAtMs;

    internal long NowMs;

    internal DateTimeOffset NowUtcValue;

    internal JsonElement? Parameters;

    // behaviours
    internal bool[]? ConditionState;
    internal long[]? LastFiredMs;
    internal string?[]? BehaviorTopics;
    internal ItemEffect[]? Effects;
    internal long SilenceUntilMs;
    internal long FlapUntilMs;
    internal double FlapProbability;
    internal long FlapOutageMs;

    // counters
    internal long MessagesSent;
    internal long MessagesFailed;
    internal long BytesSent;
    internal long CommandsReceived;
    internal int Drops;
    internal int Reconnects;
    internal long LastMessageMs = -1;
    internal long StateSinceMs;
    internal string? LastError;
    internal bool Deleted;

    /// <summary>Moves to <paramref name="to"/> if the lifecycle table allows it; otherwise refuses with the reason.</summary>
    internal TransitionResult TryTransition(DeviceState to, long nowMs)
    {
        var result = DeviceLifecycle.Check(State, to);
        if (result.Succeeded)
        {
            Volatile.Write(ref _state, (int)to);
            StateSinceMs = nowMs;
            if (to is DeviceState.Stopping or DeviceState.Dropped or DeviceState.Failed)
            {
                Epoch++;
            }
        }

        return result;
    }

    string ITemplateSource.DeviceId => Id;

    string ITemplateSource.LifecycleStateName => DeviceLifecycle.Name(State);

    DateTimeOffset ITemplateSource.NowUtc => NowUtcValue;

    ReadOnlySpan<TelemetryValue> ITemplateSource.TelemetryValues => Values;

    ReadOnlySpan<TelemetryValue> ITemplateSource.StateValues => StateValues;

    JsonElement? ITemplateSource.CommandParameters => Parameters;

    public override string ToString() => $"{Id} ({DeviceLifecycle.Name(State)})";
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
