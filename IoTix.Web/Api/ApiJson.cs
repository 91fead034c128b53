using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace IoTix.Web.Api;

/// <summary>
/// Reads request bodies so that every mistake becomes a 400 problem naming the field: malformed JSON (with line and
/// position), a value of the wrong type, an unknown field (a typo such as <c>batchsize</c> is not silently ignored).
/// Field names are camelCase as in the seed README; matching is case-sensitive.
/// </summary>
internal static class ApiJson
{
    /// <summary>Largest accepted request body (a device model with a few thousand items fits easily).</summary>
    public const int MaxBodyBytes = 4 * 1024 * 1024;

    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>The body as text, or a problem (415 when not JSON, 400 when empty and required or too large).</summary>
    public static async Task<(string? Text, IResult? Problem)> ReadTextAsync(HttpRequest request, bool required, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return (null, Invalid("$", $"the request body is larger than {MaxBodyBytes} bytes"));
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0 || IsWhitespace(buffer))
        {
            return required ? (null, Invalid("$", "a JSON request body is required")) : (null, null);
        }

        if (request.ContentType is { Length: > 0 } contentType && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, ApiProblems.UnsupportedMediaType(contentType));
        }

        return (Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length), null);
    }

    /// <summary>The body bound to <typeparamref name="T"/>; an empty body gives a new <typeparamref name="T"/> (all defaults) unless required.</summary>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, bool required, CancellationToken cancellationToken)
        where T : class, new()
    {
        var (text, problem) = await ReadTextAsync(request, required, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return (null, problem);
        }

        if (text is null)
        {
            return (new T(), null);
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(text, Options);
            return value is null ? (null, Invalid("$", "the request body must be a JSON object, was null")) : (value, null);
        }
        catch (JsonException exception)
        {
            var (field, message) = Describe<T>(exception);
            return (null, Invalid(field, message));
        }
    }

    private static IResult Invalid(string field, string message)
    {
        var errors = new FieldErrors();
        errors.Add(field, message);
        return ApiProblems.Invalid(errors, field == "$" ? message : $"{field}: {message}");
    }

    /// <summary>Which field a deserialization error concerns, and what is wrong with it, in words.</summary>
    private static (string Field, string Message) Describe<T>(JsonException exception)
    {
        var typeInfo = Options.GetTypeInfo(typeof(T));
        var where = exception.LineNumber is { } line ? $" (line {line + 1}, position {(exception.BytePositionInLine ?? 0) + 1})" : "";
        var path = exception.Path ?? "$";
        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;
        var text = exception.Message;

        // Unknown member: "The JSON property 'x' could not be mapped to any .NET member contained in type ...".
        const string unmappedPrefix = "The JSON property '";
        if (text.StartsWith(unmappedPrefix, StringComparison.Ordinal) && text.Contains("could not be mapped", StringComparison.Ordinal))
        {
            var end = text.IndexOf('\'', unmappedPrefix.Length);
            var name = end > 0 ? text[unmappedPrefix.Length..end] : field;
            return (name, $"is not a known field; known fields: {string.Join(", ", FieldNames(typeInfo))}");
        }

        var conversion = text.Contains("could not be converted", StringComparison.Ordinal);
        if (conversion && typeInfo.Properties.FirstOrDefault(p => p.Name == field) is { } property)
        {
            return (field, $"must be {Expected(property.PropertyType)}{where}");
        }

        if (path == "$" && conversion)
        {
            return ("$", $"the request body must be a JSON object{where}");
        }

        // Syntax errors: keep the parser's words, drop its "Path: ... | LineNumber" tail (we add line and position).
        var cut = text.IndexOf(" Path:", StringComparison.Ordinal);
        var message = (cut > 0 ? text[..cut] : text).TrimEnd('.', ' ');
        return (field.Length == 0 ? "$" : field, $"malformed JSON: {message}{where}");
    }

    private static IEnumerable<string> FieldNames(JsonTypeInfo typeInfo)
    {
        foreach (var property in typeInfo.Properties)
        {
            yield return property.Name;
        }
    }

    private static string Expected(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(int) || type == typeof(long))
        {
            return "a whole number";
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            return "a number";
        }

        if (type == typeof(bool))
        {
            return "true or false";
        }

        return type == typeof(string) ? "a string" : "a JSON value of the documented type";
    }

    private static bool IsWhitespace(MemoryStream buffer)
    {
        var span = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        foreach (var b in span)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }

        return true;
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNameCaseInsensitive = false,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            NumberHandling = JsonNumberHandling.Strict,
            AllowTrailingCommas = false,
            ReadCommentHandling = JsonCommentHandling.Disallow,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
