using System.Text.Json;
using System.Text.Json.Serialization;

namespace IoTix.Core.Models;

/// <summary>
/// The JSON form of device models: camelCase names, enums as the contract's lowercase strings,
/// comments and trailing commas accepted on read, nulls left out on write. Use
/// <see cref="DeviceModelValidator"/> to read untrusted model files; these helpers do not validate.
/// </summary>
public static class DeviceModelSerializer
{
    /// <summary>The serializer options every component uses for device models (read-only).</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Options for parsing model text into a <see cref="JsonDocument"/> (comments, trailing commas, no duplicate keys).</summary>
    public static JsonDocumentOptions DocumentOptions { get; } = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        AllowDuplicateProperties = false,
        MaxDepth = 64,
    };

    public static string Serialize(DeviceModel model, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        return JsonSerializer.Serialize(model, indented ? IndentedOptions : Options);
    }

    /// <summary>Binds an already validated document to a model; throws <see cref="JsonException"/> when it does not fit.</summary>
    public static DeviceModel Deserialize(JsonElement element) =>
        element.Deserialize<DeviceModel>(Options) ?? throw new JsonException("a device model must be a JSON object");

    private static readonly JsonSerializerOptions IndentedOptions = new(Options) { WriteIndented = true };

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            PropertyNameCaseInsensitive = false,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            NumberHandling = JsonNumberHandling.Strict,
            RespectNullableAnnotations = true,
            AllowDuplicateProperties = false,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
