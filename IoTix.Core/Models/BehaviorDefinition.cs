using System.Text.Json;
using System.Text.Json.Serialization;

namespace IoTix.Core.Models;

/// <summary>A behaviour: when <see cref="Trigger"/> fires, run <see cref="Action"/>.</summary>
public sealed class BehaviorDefinition
{
    public required string Name { get; init; }

    public required TriggerDefinition Trigger { get; init; }

    public required ActionDefinition Action { get; init; }

    /// <summary>Minimum time between two firings, in milliseconds (default 0: fire on every matching evaluation edge).</summary>
    public int CooldownMs { get; init; }
}

/// <summary>What makes a behaviour fire. Fields apply by <see cref="Type"/>.</summary>
public sealed class TriggerDefinition
{
    /// <summary><c>condition</c>, <c>time</c>, <c>command</c>, <c>state</c>.</summary>
    public required string Type { get; init; }

    /// <summary>condition: an expression over current values and state, e.g. <c>heartRate &gt; 120 || heartRate &lt; 50</c>.</summary>
    public string? Condition { get; init; }

    /// <summary>time: once, this many ms after the device starts.</summary>
    public int? AfterMs { get; init; }

    /// <summary>time: repeatedly, every this many ms.</summary>
    public int? EveryMs { get; init; }

    /// <summary>time: a cron expression (5 or 6 fields, UTC).</summary>
    public string? Cron { get; init; }

    /// <summary>command: the command name that fires it.</summary>
    public string? Command { get; init; }

    /// <summary>state: the lifecycle state or state variable that fires it (e.g. <c>running</c>, <c>power</c>).</summary>
    public string? State { get; init; }

    /// <summary>state: fire only when the state variable takes this value (JSON <c>"value"</c>).</summary>
    [JsonPropertyName("value")]
    public JsonElement? StateValue { get; init; }

    [JsonExtensionData]
    public IDictionary<string, JsonElement>? Extra { get; init; }
}

/// <summary>What a behaviour does. Fields apply by <see cref="Type"/>.</summary>
public sealed class ActionDefinition
{
    /// <summary>
    /// <c>publish</c>, <c>set</c> (a telemetry value), <c>setState</c>, <c>disconnect</c>, <c>fail</c>, <c>recover</c>,
    /// and the failure modes <c>stuck</c>, <c>spike</c>, <c>drift</c>, <c>batteryDrain</c>, <c>silence</c>, <c>flap</c>.
    /// </summary>
    public required string Type { get; init; }

    /// <summary>publish: topic pattern.</summary>
    public string? Topic { get; init; }

    /// <summary>publish: payload template; strings may use <c>${name}</c> substitutions.</summary>
    public JsonElement? Payload { get; init; }

    /// <summary>set / setState / failure modes: the telemetry item or state variable acted on.</summary>
    public string? Target { get; init; }

    /// <summary>set / setState: the new value (may be a <c>${...}</c> template).</summary>
    public JsonElement? Value { get; init; }

    /// <summary>Failure modes: how long the effect lasts (ms); absent means until <c>recover</c>.</summary>
    public int? DurationMs { get; init; }

    /// <summary>spike: added magnitude; drift: change per second; batteryDrain: percent per minute.</summary>
    public double? Magnitude { get; init; }

    /// <summary>spike/flap: probability per evaluation (0..1).</summary>
    public double? Probability { get; init; }

    [JsonExtensionData]
    public IDictionary<string, JsonElement>? Extra { get; init; }
}
