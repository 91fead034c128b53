using NJsonSchema;

namespace IoTix.Core.Models;

/// <summary>
/// The published device model JSON Schema (draft-07, <c>seed-models/device-model.schema.json</c>),
/// embedded in this assembly so validation always uses exactly the published file.
/// </summary>
public static class DeviceModelSchema
{
    internal const string ResourceName = "IoTix.Core.Models.device-model.schema.json";

    private static readonly Lazy<string> LazyText = new(ReadText);
    private static readonly Lazy<JsonSchema> LazySchema = new(ParseSchema);

    /// <summary>The schema's text, e.g. to serve it to editors.</summary>
    public static string Text => LazyText.Value;

    /// <summary>The parsed schema (thread-safe, shared).</summary>
    internal static JsonSchema Schema => LazySchema.Value;

    private static string ReadText()
    {
        using var stream = typeof(DeviceModelSchema).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing from IoTix.Core");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    // The schema has no external references, so parsing completes synchronously.
    private static JsonSchema ParseSchema() => JsonSchema.FromJsonAsync(Text).GetAwaiter().GetResult();
}
