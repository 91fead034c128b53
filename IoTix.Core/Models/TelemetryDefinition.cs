using System.Text.Json;
using System.Text.Json.Serialization;

namespace IoTix.Core.Models;

/// <summary>One telemetry item of a model: what it is and how its values are generated.</summary>
public sealed class TelemetryDefinition
{
    public required string Name { get; init; }

    public TelemetryDataType Type { get; init; } = TelemetryDataType.Number;

    public string? Unit { get; init; }

    public required GeneratorDefinition Generator { get; init; }

    /// <summary>How often a value is generated and sent, in milliseconds (default 1000).</summary>
    public int IntervalMs { get; init; } = 1000;

    /// <summary>Optional topic (or URL path) of its own; otherwise the connection's topic pattern.</summary>
    public string? Topic { get; init; }

    /// <summary>Binary items inside JSON payloads: <c>base64</c> (default) or <c>array</c> of sample numbers.</summary>
    public BinaryEncoding Encoding { get; init; } = BinaryEncoding.Base64;
}

[JsonConverter(typeof(JsonStringEnumConverter<BinaryEncoding>))]
public enum BinaryEncoding
{
    [JsonStringEnumMemberName("base64")] Base64,
    [JsonStringEnumMemberName("array")] Array,
}

/// <summary>
/// A generator's settings. One flat shape for every generator type, as in the seed README;
/// which fields apply depends on <see cref="Type"/>. Unknown fields land in <see cref="Extra"/>,
/// where the validator reports them.
/// </summary>
public sealed class GeneratorDefinition
{
    /// <summary><c>random</c>, <c>sequence</c>, <c>constant</c>, <c>replay</c>, <c>custom</c>.</summary>
    public required string Type { get; init; }

    // random
    public double? Min { get; init; }
    public double? Max { get; init; }

    /// <summary><c>uniform</c> (default), <c>normal</c>, <c>exponential</c>.</summary>
    public string? Distribution { get; init; }
    public double? Mean { get; init; }
    public double? Stddev { get; init; }

    // sequence
    public double? Start { get; init; }
    public double? Step { get; init; }
    public bool? Wrap { get; init; }

    /// <summary>
    /// <c>random</c>: when set (a JSON array), each value is picked uniformly from this list
    /// instead of drawn from <c>min</c>..<c>max</c>; the only way to randomise <c>string</c> items.
    /// </summary>
    public JsonElement? Values { get; init; }

    // constant
    public JsonElement? Value { get; init; }

    // replay
    /// <summary>CSV file, relative to the model file's folder or absolute.</summary>
    public string? DataFile { get; init; }
    public string? Column { get; init; }
    public bool? Loop { get; init; }

    /// <summary>Column of timestamps: when set, replay keeps the original spacing between rows.</summary>
    public string? TimestampColumn { get; init; }

    // custom
    /// <summary>Name of a registered handler (<c>ecg_generator</c>, <c>script</c>, or a plugin's).</summary>
    public string? Handler { get; init; }

    /// <summary>Handler settings.</summary>
    public JsonElement? Config { get; init; }

    /// <summary>JavaScript source for the <c>script</c> handler.</summary>
    public string? Script { get; init; }

    [JsonExtensionData]
    public IDictionary<string, JsonElement>? Extra { get; init; }
}
