using System.Text.Json;
using System.Text.Json.Serialization;

namespace IoTix.Core.Models;

/// <summary>
/// A device model: the JSON description of one kind of device (the seed README's format).
/// Instances are immutable once loaded; a simulated device reads them, never writes them.
/// </summary>
public sealed class DeviceModel
{
    /// <summary>Unique id, e.g. <c>environmental-sensor-v1</c>.</summary>
    public required string Id { get; init; }

    public required string Name { get; init; }

    public string? Description { get; init; }

    /// <summary>Semantic version of the model, e.g. <c>1.0.0</c>.</summary>
    public string? Version { get; init; }

    public DeviceType Type { get; init; }

    public DeviceProtocol Protocol { get; init; }

    public ConnectionSettings Connection { get; init; } = new();

    public IReadOnlyList<TelemetryDefinition> Telemetry { get; init; } = [];

    public IReadOnlyList<CommandDefinition> Commands { get; init; } = [];

    public IReadOnlyList<BehaviorDefinition> Behaviors { get; init; } = [];

    /// <summary>Initial values of the device's state variables (an actuator's <c>power</c>, a valve's <c>position</c>).</summary>
    public IReadOnlyDictionary<string, JsonElement>? State { get; init; }

    /// <summary>How telemetry is framed on the wire.</summary>
    public PayloadSettings Payload { get; init; } = new();

    /// <summary>
    /// The device keeps a shadow (digital twin) on the broker: it subscribes to its delta, applies desired values to
    /// its state variables and telemetry, and reports them back. Null: no shadow. MQTT only.
    /// </summary>
    public ShadowSettings? Shadow { get; init; }

    /// <summary>Free-form description data (manufacturer, firmware version ...), published with the device.</summary>
    public IReadOnlyDictionary<string, JsonElement>? Metadata { get; init; }

    /// <summary>
    /// Folder of the file the model was loaded from, against which relative data files (replay
    /// CSVs) resolve; null for models that did not come from a file. Not part of the JSON format.
    /// </summary>
    [JsonIgnore]
    public string? SourceDirectory { get; internal set; }
}

[JsonConverter(typeof(JsonStringEnumConverter<DeviceType>))]
public enum DeviceType
{
    [JsonStringEnumMemberName("sensor")] Sensor,
    [JsonStringEnumMemberName("gateway")] Gateway,
    [JsonStringEnumMemberName("actuator")] Actuator,
    [JsonStringEnumMemberName("custom")] Custom,
}

[JsonConverter(typeof(JsonStringEnumConverter<DeviceProtocol>))]
public enum DeviceProtocol
{
    [JsonStringEnumMemberName("mqtt")] Mqtt,
    [JsonStringEnumMemberName("coap")] Coap,
    [JsonStringEnumMemberName("http")] Http,
}

/// <remarks>Backed by a byte so <see cref="IoTix.Core.Generators.TelemetryValue"/> packs into 32 bytes (a million devices hold millions of values); JSON uses the names.</remarks>
[JsonConverter(typeof(JsonStringEnumConverter<TelemetryDataType>))]
public enum TelemetryDataType : byte
{
    [JsonStringEnumMemberName("number")] Number,
    [JsonStringEnumMemberName("integer")] Integer,
    [JsonStringEnumMemberName("boolean")] Boolean,
    [JsonStringEnumMemberName("string")] String,
    [JsonStringEnumMemberName("binary")] Binary,
}

/// <summary>A model's shadow settings (the <c>shadow</c> object of the model).</summary>
public sealed class ShadowSettings
{
    /// <summary>Default root of a device's shadow topics (the hosted broker's layout).</summary>
    public const string DefaultTopicPrefix = "$iotix/things/${deviceId}/shadow";

    /// <summary>False turns the shadow off without removing the settings.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Root of the shadow topics (<c>/update</c>, <c>/update/delta</c>, <c>/get</c> ... below it); placeholders as in topics.</summary>
    public string TopicPrefix { get; init; } = DefaultTopicPrefix;

    /// <summary>On every connect, report the state variables and ask for the document (<c>/get</c>), so desired changes made while offline apply.</summary>
    public bool SyncOnConnect { get; init; } = true;
}
