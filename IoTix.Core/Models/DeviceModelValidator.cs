using System.Text;
using System.Text.Json;
using IoTix.Core.Generators;

namespace IoTix.Core.Models;

/// <summary>
/// Reads and validates device models: JSON syntax (with line and position), the published JSON
/// Schema, the model format's semantic rules, then every <see cref="IDeviceModelCheck"/> other
/// features register. Reports every error with its JSON path; never throws for a bad model.
/// Thread-safe; one instance serves the host, the command line and the API.
/// </summary>
public sealed class DeviceModelValidator
{
    private readonly IDeviceModelCheck[] _checks;
    private readonly ModelSemanticChecks _semantics;

    public DeviceModelValidator(IEnumerable<IDeviceModelCheck> checks, IEnumerable<ICustomGeneratorHandler> handlers)
    {
        ArgumentNullException.ThrowIfNull(checks);
        ArgumentNullException.ThrowIfNull(handlers);
        _checks = [.. checks];
        _semantics = new ModelSemanticChecks(handlers);
    }

    /// <summary>Names of the registered custom generator handlers.</summary>
    public IReadOnlyList<string> CustomHandlerNames => _semantics.HandlerNames;

    /// <summary>Reads and validates a model file; relative data files resolve against its folder.</summary>
    public ModelValidationResult ValidateFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string json;
        try
        {
            json = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ModelValidationResult.Invalid(null, path, [new ModelError(path, "$", $"cannot read the file: {ex.Message}")]);
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        return Validate(json, path, directory);
    }

    /// <summary>Validates a model built in code (e.g. from the API) by its JSON form.</summary>
    public ModelValidationResult Validate(DeviceModel model, string? file = null, string? modelDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Validate(DeviceModelSerializer.Serialize(model, indented: false), file, modelDirectory);
    }

    /// <summary>Validates model JSON.</summary>
    /// <param name="json">The model text (comments and trailing commas allowed).</param>
    /// <param name="file">The file it came from, named in every error (null for the API).</param>
    /// <param name="modelDirectory">Folder that relative data files resolve against (null: no data files).</param>
    public ModelValidationResult Validate(string json, string? file = null, string? modelDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DeviceModelSerializer.DocumentOptions);
        }
        catch (JsonException ex)
        {
            return ModelValidationResult.Invalid(null, file, [new ModelError(file, "$", MalformedJson(ex))]);
        }

        using (document)
        {
            return Validate(document.RootElement, file, modelDirectory);
        }
    }

    private ModelValidationResult Validate(JsonElement root, string? file, string? modelDirectory)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return ModelValidationResult.Invalid(null, file,
                [new ModelError(file, "$", $"a device model must be a JSON object (found {ModelSemanticChecks.Describe(root)})")]);
        }

        string? modelId = root.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String
            ? idElement.GetString()
            : null;

        var errors = new List<ModelError>();
        SchemaErrorTranslator.Translate(DeviceModelSchema.Schema.Validate(Normalize(root)), file, errors);

        DeviceModel? model = null;
        try
        {
            model = DeviceModelSerializer.Deserialize(root);
        }
        catch (JsonException ex)
        {
            // With schema errors the binding failure is a consequence of them; without, the schema and the classes disagree.
            if (errors.Count == 0)
            {
                errors.Add(new ModelError(file, ex.Path ?? "$", StripPosition(ex.Message)));
            }
        }

        if (model is not null)
        {
            model.SourceDirectory = modelDirectory;
            var context = new ModelCheckContext(file, modelDirectory);
            _semantics.Check(model, root, context);
            foreach (var check in _checks)
            {
                try
                {
                    check.Check(model, context);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    context.Error("$", $"model check {check.GetType().Name} failed: {ex.Message}");
                }
            }

            foreach (var error in context.Errors)
            {
                // The schema already reported this spot; a second message about it would only repeat it.
                if (!errors.Exists(e => e.Path == error.Path))
                {
                    errors.Add(error);
                }
            }
        }

        return errors.Count == 0 && model is not null
            ? ModelValidationResult.Valid(model, file)
            : ModelValidationResult.Invalid(modelId, file, errors);
    }

    /// <summary>The document without comments or trailing commas, for the schema validator.</summary>
    private static string Normalize(JsonElement root)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            root.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string MalformedJson(JsonException ex)
    {
        var message = StripPosition(ex.Message);
        return ex.LineNumber is { } line
            ? $"malformed JSON at line {line + 1}, position {(ex.BytePositionInLine ?? 0) + 1}: {message}"
            : $"malformed JSON: {message}";
    }

    /// <summary>Drops System.Text.Json's " Path: $ | LineNumber: 0 | BytePositionInLine: 3." tail (reported separately).</summary>
    private static string StripPosition(string message)
    {
        foreach (var marker in (ReadOnlySpan<string>)[" Path: ", " LineNumber: "])
        {
            int at = message.IndexOf(marker, StringComparison.Ordinal);
            if (at > 0)
            {
                message = message[..at];
            }
        }

        return message.TrimEnd();
    }
}
