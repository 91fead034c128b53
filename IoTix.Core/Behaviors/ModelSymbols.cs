using System.Text.Json;
using IoTix.Core.Generators;
using IoTix.Core.Models;

namespace IoTix.Core.Behaviors;

/// <summary>
/// The names a model's conditions and templates may use, resolved to value slots once per model:
/// telemetry items are slots 0..n-1 (model order), state variables n..n+m-1.
/// </summary>
internal sealed class ModelSymbols
{
    private readonly Dictionary<string, int> _telemetry = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _state = new(StringComparer.Ordinal);

    public ModelSymbols(DeviceModel model)
    {
        for (int i = 0; i < model.Telemetry.Count; i++)
        {
            _telemetry.TryAdd(model.Telemetry[i].Name, i);
        }

        var names = new List<string>();
        var initial = new List<TelemetryValue>();
        if (model.State is not null)
        {
            foreach (var (name, value) in model.State)
            {
                if (_state.TryAdd(name, names.Count))
                {
                    names.Add(name);
                    initial.Add(ToValue(value));
                }
            }
        }

        StateNames = names;
        InitialState = [.. initial];
        TelemetryCount = model.Telemetry.Count;
    }

    public int TelemetryCount { get; }

    public IReadOnlyList<string> StateNames { get; }

    /// <summary>Initial values of the state variables, copied into each device.</summary>
    public TelemetryValue[] InitialState { get; }

    public int TelemetryIndex(string name) => _telemetry.TryGetValue(name, out int i) ? i : -1;

    public int StateIndex(string name) => _state.TryGetValue(name, out int i) ? i : -1;

    /// <summary>Condition slot of <paramref name="name"/>: telemetry first, then state variables; -1 when unknown.</summary>
    public int Slot(string name)
    {
        int t = TelemetryIndex(name);
        if (t >= 0)
        {
            return t;
        }

        int s = StateIndex(name);
        return s >= 0 ? TelemetryCount + s : -1;
    }

    /// <summary>Converts a JSON value into a value (numbers, booleans, strings; anything else as its JSON text).</summary>
    public static TelemetryValue ToValue(JsonElement element)
    {
        var value = new TelemetryValue { HasValue = true };
        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
                value.Type = TelemetryDataType.Number;
                value.Number = element.GetDouble();
                break;
            case JsonValueKind.True:
            case JsonValueKind.False:
                value.Type = TelemetryDataType.Boolean;
                value.Boolean = element.ValueKind == JsonValueKind.True;
                value.Number = value.Boolean ? 1 : 0;
                break;
            case JsonValueKind.String:
                value.Type = TelemetryDataType.String;
                value.Text = element.GetString();
                break;
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
                value.HasValue = false;
                value.Type = TelemetryDataType.String;
                break;
            default:
                value.Type = TelemetryDataType.String;
                value.Text = element.GetRawText();
                break;
        }

        return value;
    }
}
