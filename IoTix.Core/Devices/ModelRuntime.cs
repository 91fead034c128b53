using IoTix.Core.Behaviors;
using IoTix.Core.Generators;
using IoTix.Core.Models;
using IoTix.Core.Payloads;
using IoTix.Core.Protocols;

namespace IoTix.Core.Devices;

/// <summary>What the engine prepares once per model: behaviours, symbols, topics, the adapter.</summary>
internal sealed class ModelRuntime
{
    public ModelRuntime(SimulationEngine engine, DeviceModel model, BehaviorSet behaviors, IProtocolAdapter adapter, PreparedModelGenerators generators)
    {
        Engine = engine;
        Model = model;
        Behaviors = behaviors;
        Adapter = adapter;
        Generators = generators;
        Layout = new TelemetryPayloadLayout(model);
        var patterns = new List<string> { model.Connection.TopicPattern ?? DeviceDefaults.TopicPattern };
        ItemTopic = new int[model.Telemetry.Count];
        Intervals = new int[model.Telemetry.Count];
        for (int i = 0; i < model.Telemetry.Count; i++)
        {
            var item = model.Telemetry[i];
            Intervals[i] = Math.Max(1, item.IntervalMs);
            if (item.Topic is { } topic)
            {
                int t = patterns.IndexOf(topic);
                if (t < 0)
                {
                    t = patterns.Count;
                    patterns.Add(topic);
                }

                ItemTopic[i] = t;
            }
        }

        TopicTemplates = patterns.ConvertAll(ModelTemplate.Parse).ToArray();
        string clientIdPattern = model.Connection.ClientIdPattern ?? "${deviceId}";
        ClientIdTemplate = ModelTemplate.Parse(clientIdPattern);
        ClientIdIsDeviceId = clientIdPattern == "${deviceId}";

        SharedGenerators = new SharedItemGenerator?[model.Telemetry.Count];
        bool allShared = true;
        for (int i = 0; i < SharedGenerators.Length; i++)
        {
            var shared = generators.SharedAt(i);
            SharedGenerators[i] = shared;
            allShared &= shared is not null;
            UsesItemRandoms |= shared is { UsesRandom: true };
        }

        AllShared = allShared;

        // Every item on one interval and no generator that sets its own: all items are always due
        // together, so a device needs no due time per item (the scheduler entry carries it).
        int uniform = Intervals.Length > 0 && allShared ? Intervals[0] : 0;
        foreach (int interval in Intervals)
        {
            if (interval != uniform)
            {
                uniform = 0;
            }
        }

        UniformIntervalMs = uniform;
        HasDeviceExtras = behaviors.Behaviors.Length > 0 || behaviors.Symbols.InitialState.Length > 0 || TopicTemplates.Length > 1;
    }

    /// <summary>The engine that built this runtime (devices reach their engine through it).</summary>
    public SimulationEngine Engine { get; }

    /// <summary>Per item: the shared generator when the item needs no generator object per device.</summary>
    public SharedItemGenerator?[] SharedGenerators { get; }

    /// <summary>True when every item has a shared generator: devices hold no generator array.</summary>
    public bool AllShared { get; }

    /// <summary>True when some shared generator draws from a random source: devices hold one per item.</summary>
    public bool UsesItemRandoms { get; }

    /// <summary>The interval of every item when all share one and none sets its own; 0 otherwise (devices track a due time per item).</summary>
    public int UniformIntervalMs { get; }

    /// <summary>True when every device needs its side object from the start (behaviours, state variables, several topics).</summary>
    public bool HasDeviceExtras { get; }

    /// <summary>True when the client id is the device id (no separate string per device).</summary>
    public bool ClientIdIsDeviceId { get; }

    public DeviceModel Model { get; }

    public BehaviorSet Behaviors { get; }

    public ModelSymbols Symbols => Behaviors.Symbols;

    public IProtocolAdapter Adapter { get; }

    /// <summary>The model's generators, prepared once (parsed settings, replay data, compiled scripts).</summary>
    public PreparedModelGenerators Generators { get; }

    /// <summary>The model's payload layout (property names encoded once).</summary>
    public TelemetryPayloadLayout Layout { get; }

    /// <summary>Topic templates: 0 is the connection's topic pattern, others are items' own topics.</summary>
    public ModelTemplate[] TopicTemplates { get; }

    /// <summary>Per item: index into <see cref="TopicTemplates"/>.</summary>
    public int[] ItemTopic { get; }

    public int[] Intervals { get; }

    public ModelTemplate ClientIdTemplate { get; }
}
