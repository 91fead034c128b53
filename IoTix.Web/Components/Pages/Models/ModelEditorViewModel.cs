using System.Text.Json;
using System.Text.Json.Nodes;
using IoTix.Core.Generators;
using IoTix.Core.Models;

namespace IoTix.Web.Components.Pages.Models;

/// <summary>
/// The state of the model editor: the JSON text is the single source of truth. The visual form reads and writes
/// a parsed <see cref="JsonObject"/> (so fields the form does not know survive), every change is re-validated with
/// the same <see cref="DeviceModelValidator"/> the API uses, and each telemetry item's generator is previewed.
/// </summary>
public sealed class ModelEditorViewModel
{
    /// <summary>Seed of the preview device, so a preview is the same every time for the same settings.</summary>
    public const ulong PreviewSeed = 0x10_7E_C0_DE;

    /// <summary>Values drawn per telemetry item for its preview chart.</summary>
    public const int PreviewPoints = 60;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly DeviceModelValidator _validator;
    private readonly TelemetryGeneratorFactory _generators;
    private readonly string? _modelDirectory;
    private readonly Dictionary<string, GeneratorPreview> _previewCache = new(StringComparer.Ordinal);
    private IReadOnlyList<ModelError> _errors = [];
    private List<GeneratorPreview?> _previews = [];

    public ModelEditorViewModel(DeviceModelValidator validator, TelemetryGeneratorFactory generators, string json, string? modelDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(validator);
        ArgumentNullException.ThrowIfNull(generators);
        _validator = validator;
        _generators = generators;
        _modelDirectory = modelDirectory;
        Json = json ?? string.Empty;
        Parse();
        Validate();
    }

    /// <summary>The model's JSON as it will be saved.</summary>
    public string Json { get; private set; }

    /// <summary>Changes each time the form rewrites <see cref="Json"/>, so the code editor knows to take the new text.</summary>
    public int FormRevision { get; private set; }

    /// <summary>The parsed JSON, or null while the text is not a JSON object (the form is then unavailable).</summary>
    public JsonObject? Document { get; private set; }

    /// <summary>Every validation error, each with its JSON path.</summary>
    public IReadOnlyList<ModelError> Errors => _errors;

    public bool IsValid => _errors.Count == 0;

    /// <summary>The validated model, when <see cref="IsValid"/>.</summary>
    public DeviceModel? Model { get; private set; }

    /// <summary>One preview per telemetry item (null where the item cannot be previewed yet).</summary>
    public IReadOnlyList<GeneratorPreview?> Previews => _previews;

    /// <summary>Names of the registered custom generator handlers.</summary>
    public IReadOnlyList<string> CustomHandlerNames => _validator.CustomHandlerNames;

    /// <summary>Raised after every change of the text (from either side).</summary>
    public event Action? Changed;

    /// <summary>Takes the code editor's text.</summary>
    public void SetJson(string json)
    {
        if (string.Equals(json, Json, StringComparison.Ordinal))
        {
            return;
        }

        Json = json ?? string.Empty;
        Parse();
        Validate();
        Changed?.Invoke();
    }

    // ------------------------------------------------------------------ reading fields

    public static JsonObject Child(JsonObject parent, string property)
    {
        if (parent[property] is JsonObject existing)
        {
            return existing;
        }

        var created = new JsonObject();
        parent[property] = created;
        return created;
    }

    public static JsonArray Array(JsonObject parent, string property)
    {
        if (parent[property] is JsonArray existing)
        {
            return existing;
        }

        var created = new JsonArray();
        parent[property] = created;
        return created;
    }

    /// <summary>A child object without creating it (null when absent).</summary>
    public static JsonObject? Find(JsonObject? parent, string property) => parent?[property] as JsonObject;

    public static string? Str(JsonObject? node, string property) =>
        node?[property] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>A number, whether parsed from the text or set by the form (whose values are typed int or double).</summary>
    public static double? Num(JsonObject? node, string property)
    {
        if (node?[property] is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }

        if (v.TryGetValue<double>(out var d))
        {
            return d;
        }

        if (v.TryGetValue<int>(out var i))
        {
            return i;
        }

        return v.TryGetValue<long>(out var l) ? l : double.Parse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static int? Int(JsonObject? node, string property) =>
        Num(node, property) is { } d && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue ? (int)d : null;

    public static bool? Bool(JsonObject? node, string property) =>
        node?[property] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    /// <summary>Any JSON value as compact text (for value, payload, default, values and config fields).</summary>
    public static string? Raw(JsonObject? node, string property) => node?[property]?.ToJsonString();

    /// <summary>The JSON path of a property of <paramref name="node"/>, as the validator writes it.</summary>
    public static string PathOf(JsonNode node, string property) => $"{node.GetPath()}.{property}";

    /// <summary>The errors at exactly <paramref name="path"/>, joined, or null.</summary>
    public string? ErrorAt(string path)
    {
        string? message = null;
        foreach (var error in _errors)
        {
            if (string.Equals(error.Path, path, StringComparison.Ordinal))
            {
                message = message is null ? error.Message : $"{message}; {error.Message}";
            }
        }

        return message;
    }

    public string? ErrorFor(JsonNode? node, string property) => node is null ? null : ErrorAt(PathOf(node, property));

    /// <summary>Whether any error lies at or below <paramref name="path"/>.</summary>
    public bool HasErrorsUnder(string path)
    {
        foreach (var error in _errors)
        {
            if (error.Path.StartsWith(path, StringComparison.Ordinal)
                && (error.Path.Length == path.Length || error.Path[path.Length] is '.' or '['))
            {
                return true;
            }
        }

        return false;
    }

    // ------------------------------------------------------------------ writing fields

    /// <summary>Sets (or with null, removes) a property and rewrites the JSON.</summary>
    public void Set(JsonObject node, string property, JsonNode? value)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (value is null)
        {
            node.Remove(property);
        }
        else
        {
            node[property] = value;
        }

        Commit();
    }

    public void SetString(JsonObject node, string property, string? value) =>
        Set(node, property, string.IsNullOrEmpty(value) ? null : JsonValue.Create(value));

    public void SetNumber(JsonObject node, string property, double? value) =>
        Set(node, property, value is { } d ? JsonValue.Create(d) : null);

    public void SetInt(JsonObject node, string property, int? value) =>
        Set(node, property, value is { } i ? JsonValue.Create(i) : null);

    public void SetBool(JsonObject node, string property, bool? value) =>
        Set(node, property, value is { } b ? JsonValue.Create(b) : null);

    /// <summary>Sets a free JSON value from text: valid JSON is taken as is, anything else as a string.</summary>
    public void SetRaw(JsonObject node, string property, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            Set(node, property, null);
            return;
        }

        Set(node, property, ParseLenient(text));
    }

    /// <summary>Replaces a generator with the starting settings of <paramref name="type"/> (fields of other types would be errors).</summary>
    public void SetGeneratorType(JsonObject item, string type)
    {
        ArgumentNullException.ThrowIfNull(item);
        item["generator"] = DefaultGenerator(type, CustomHandlerNames);
        Commit();
    }

    /// <summary>Switches a random generator's distribution, keeping the fields the new one uses.</summary>
    public void SetDistribution(JsonObject generator, string distribution)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (distribution == "uniform")
        {
            generator.Remove("mean");
            generator.Remove("stddev");
            generator.Remove("distribution");
        }
        else
        {
            generator["distribution"] = distribution;
            if (distribution == "exponential")
            {
                generator.Remove("stddev");
            }
        }

        Commit();
    }

    /// <summary>Replaces a trigger or action with an object of the new type (other types' fields would be errors).</summary>
    public void SetKind(JsonObject owner, string property, string type)
    {
        ArgumentNullException.ThrowIfNull(owner);
        owner[property] = new JsonObject { ["type"] = type };
        Commit();
    }

    public void AddTelemetry()
    {
        var root = RequireDocument();
        var items = Array(root, "telemetry");
        items.Add(new JsonObject
        {
            ["name"] = UniqueName(items, "value"),
            ["type"] = "number",
            ["generator"] = DefaultGenerator("random", CustomHandlerNames),
            ["intervalMs"] = 1000,
        });
        Commit();
    }

    public void AddCommand()
    {
        var root = RequireDocument();
        var items = Array(root, "commands");
        items.Add(new JsonObject { ["name"] = UniqueName(items, "command"), ["parameters"] = new JsonArray() });
        Commit();
    }

    public void AddParameter(JsonObject command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var parameters = Array(command, "parameters");
        parameters.Add(new JsonObject { ["name"] = UniqueName(parameters, "param"), ["type"] = "string" });
        Commit();
    }

    public void AddBehavior()
    {
        var root = RequireDocument();
        var items = Array(root, "behaviors");
        items.Add(new JsonObject
        {
            ["name"] = UniqueName(items, "behavior"),
            ["trigger"] = new JsonObject { ["type"] = "time", ["everyMs"] = 60000 },
            ["action"] = new JsonObject { ["type"] = "disconnect" },
        });
        Commit();
    }

    /// <summary>Removes an element of an array (a telemetry item, command, parameter or behaviour).</summary>
    public void RemoveAt(JsonArray array, int index)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (index >= 0 && index < array.Count)
        {
            array.RemoveAt(index);
            Commit();
        }
    }

    /// <summary>A copy of the current JSON with another id (for "save as copy" of a read-only model).</summary>
    public string JsonWithId(string id)
    {
        var copy = Document?.DeepClone() as JsonObject ?? new JsonObject();
        copy["id"] = id;
        return copy.ToJsonString(Indented);
    }

    public static JsonObject DefaultGenerator(string type, IReadOnlyList<string> handlers) => type switch
    {
        "sequence" => new JsonObject { ["type"] = "sequence", ["start"] = 0, ["step"] = 1 },
        "constant" => new JsonObject { ["type"] = "constant", ["value"] = 0 },
        "replay" => new JsonObject { ["type"] = "replay", ["dataFile"] = "data.csv", ["column"] = "value" },
        "custom" => new JsonObject
        {
            ["type"] = "custom",
            ["handler"] = handlers.Contains("script") ? "script" : handlers.Count > 0 ? handlers[0] : "script",
            ["script"] = "function next(ctx) { return 20 + 5 * Math.sin(ctx.t / 10000) + ctx.random(); }",
        },
        _ => new JsonObject { ["type"] = "random", ["min"] = 0, ["max"] = 100 },
    };

    // ------------------------------------------------------------------ machinery

    private JsonObject RequireDocument() =>
        Document ?? throw new InvalidOperationException("the JSON text is not an object; fix it in the code editor first");

    private void Commit()
    {
        Json = RequireDocument().ToJsonString(Indented);
        FormRevision++;
        Validate();
        Changed?.Invoke();
    }

    private void Parse()
    {
        try
        {
            Document = JsonNode.Parse(Json, documentOptions: DeviceModelSerializer.DocumentOptions) as JsonObject;
        }
        catch (JsonException)
        {
            // The validator reports the syntax error with its position; the form waits for valid JSON.
            Document = null;
        }
    }

    private void Validate()
    {
        var result = _validator.Validate(Json, modelDirectory: _modelDirectory);
        _errors = result.Errors;
        Model = result.Model;
        UpdatePreviews();
    }

    private void UpdatePreviews()
    {
        var items = Document?["telemetry"] as JsonArray;
        var previews = new List<GeneratorPreview?>(items?.Count ?? 0);
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (items?.Count ?? 0); i++)
        {
            var node = items![i] as JsonObject;
            if (node is null || HasErrorsUnder(node.GetPath()))
            {
                previews.Add(null);
                continue;
            }

            var key = node.ToJsonString();
            used.Add(key);
            if (!_previewCache.TryGetValue(key, out var preview))
            {
                preview = BuildPreview(node);
                if (preview is not null)
                {
                    _previewCache[key] = preview;
                }
            }

            previews.Add(preview);
        }

        // Forget previews of settings no longer in the model, so the cache stays the size of the model.
        foreach (var key in _previewCache.Keys.ToList())
        {
            if (!used.Contains(key))
            {
                _previewCache.Remove(key);
            }
        }

        _previews = previews;
    }

    private GeneratorPreview? BuildPreview(JsonObject node)
    {
        TelemetryDefinition? definition;
        try
        {
            definition = node.Deserialize<TelemetryDefinition>(DeviceModelSerializer.Options);
        }
        catch (JsonException)
        {
            return null;
        }

        if (definition is null)
        {
            return null;
        }

        var model = new DeviceModel { Id = "preview", Name = "preview", Telemetry = [definition] };
        var prepared = _generators.Prepare(model, _modelDirectory);
        if (!prepared.IsValid)
        {
            return null;
        }

        var generator = prepared.Create(0, new GeneratorContext("preview-device", 0, PreviewSeed, 0, _modelDirectory));
        var value = new TelemetryValue { Type = definition.Type };
        var numbers = new double[PreviewPoints];
        var texts = new string[PreviewPoints];
        long now = 0;
        for (var k = 0; k < PreviewPoints; k++)
        {
            generator.Next(ref value, now);
            numbers[k] = value.AsDouble();
            texts[k] = definition.Type switch
            {
                TelemetryDataType.String => value.Text ?? string.Empty,
                TelemetryDataType.Binary => $"{value.BinaryLength} bytes",
                TelemetryDataType.Boolean => value.Boolean ? "true" : "false",
                _ => value.Number.ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
            };
            now += generator.NextIntervalMs ?? definition.IntervalMs;
        }

        return new GeneratorPreview(definition.Name, definition.Type, definition.IntervalMs, numbers, texts);
    }

    private static JsonNode? ParseLenient(string text)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: DeviceModelSerializer.DocumentOptions);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    private static string UniqueName(JsonArray items, string stem)
    {
        for (var n = items.Count + 1; ; n++)
        {
            var candidate = $"{stem}{n}";
            var taken = false;
            foreach (var item in items)
            {
                if (item is JsonObject o && Str(o, "name") == candidate)
                {
                    taken = true;
                    break;
                }
            }

            if (!taken)
            {
                return candidate;
            }
        }
    }
}

/// <summary>What a telemetry item's generator produces for the preview device: numbers for the chart (NaN for text and bytes) and their text.</summary>
public sealed record GeneratorPreview(string Name, TelemetryDataType Type, int IntervalMs, IReadOnlyList<double> Values, IReadOnlyList<string> Texts)
{
    /// <summary>Numbers, integers and booleans chart; strings and bytes list.</summary>
    public bool IsNumeric => Type is TelemetryDataType.Number or TelemetryDataType.Integer or TelemetryDataType.Boolean;
}
