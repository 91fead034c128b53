using IoTix.Core.Behaviors;
using IoTix.Core.Generators;
using IoTix.Core.Models;
using IoTix.Core.Payloads;
using IoTix.Core.Protocols;

namespace IoTix.Core.Devices;

/// <summary>What the engine prepares once per model: behaviours, symbols, topics, the adapter.</summary>
internal sealed class ModelRuntime
{
    public ModelRuntime(DeviceModel model, BehaviorSet behaviors, IProtocolAdapter adapter, PreparedModelGenerators generators)
    {
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
        ClientIdTemplate = ModelTemplate.Parse(model.Connection.ClientIdPattern ?? "${deviceId}");
    }

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
