using System.Text.Json;
using System.Text.Json.Nodes;

namespace IoTix.Broker.Shadows;

/// <summary>
/// Device shadows (FR-035, FR-036): one JSON document per thing with a <c>desired</c> and a <c>reported</c> section,
/// per-field metadata timestamps and a version that every accepted update increments. Updates are merges (a
/// <c>null</c> field deletes it); the difference of desired from reported is the delta, published on
/// <c>$iotix/things/{thing}/shadow/update/delta</c>. A thing is named by its key: <c>{thing}</c>, or
/// <c>tenants/{t}/{thing}</c> for a tenant's thing, whose topics are <c>tenants/{t}/$iotix/things/{thing}/...</c>
/// (<see cref="IoTix.Broker.Devices.DeviceTopics"/>). An update naming a version other than the current one is a
/// conflict (optimistic concurrency). Requests over MQTT and through this interface share one code path;
/// see docs/broker.md for the topics and payloads.
/// </summary>
public interface IShadowService
{
    /// <summary>The document of <paramref name="thingName"/>; null when it has no shadow (or the store is unavailable and it is not cached).</summary>
    Task<ShadowDocument?> GetAsync(string thingName, CancellationToken cancellationToken = default);

    /// <summary>Applies an update; on success publishes <c>/update/accepted</c>, <c>/update/documents</c> and, when the desired section changed and differs from reported, <c>/update/delta</c>.</summary>
    Task<ShadowResult> UpdateAsync(string thingName, ShadowUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Deletes the shadow; with <paramref name="expectedVersion"/> only when it is at that version.</summary>
    Task<ShadowResult> DeleteAsync(string thingName, long? expectedVersion = null, CancellationToken cancellationToken = default);

    /// <summary>Raised after a shadow changed (update or delete), with its thing name; handlers must not block.</summary>
    event Action<string>? Changed;
}

/// <summary>Why a shadow request failed; the numeric value is the code sent on <c>/rejected</c> topics (HTTP-like, as AWS IoT does).</summary>
public enum ShadowError
{
    None = 0,
    BadRequest = 400,
    NotFound = 404,
    VersionConflict = 409,
    PayloadTooLarge = 413,
    TooManyRequests = 429,
    Unavailable = 503,
}

/// <summary>Outcome of a shadow request: the document after it, or the error in words.</summary>
public sealed record ShadowResult(ShadowError Error, string Message, ShadowDocument? Document)
{
    public bool Succeeded => Error == ShadowError.None;

    public static ShadowResult Ok(ShadowDocument document) => new(ShadowError.None, "accepted", document);

    public static ShadowResult Fail(ShadowError error, string message) => new(error, message, null);
}

/// <summary>
/// A shadow update: merge patches for the desired and reported sections (a JSON <c>null</c> value deletes the
/// field; <see cref="ClearDesired"/>/<see cref="ClearReported"/> delete a whole section), or a replacement of the
/// desired section (<see cref="ReplaceDesired"/>), optionally only at <see cref="ExpectedVersion"/>.
/// </summary>
public sealed class ShadowUpdate
{
    public JsonObject? Desired { get; init; }

    public JsonObject? Reported { get; init; }

    /// <summary>The request set <c>"desired": null</c>: the whole desired section is deleted.</summary>
    public bool ClearDesired { get; init; }

    /// <summary>The request set <c>"reported": null</c>: the whole reported section is deleted.</summary>
    public bool ClearReported { get; init; }

    /// <summary><see cref="Desired"/> replaces the desired section instead of being merged into it.</summary>
    public bool ReplaceDesired { get; init; }

    /// <summary>Apply only when the shadow is at this version (0: only when it does not exist yet).</summary>
    public long? ExpectedVersion { get; init; }

    /// <summary>Echoed in the answers, so a client can match them to its request (at most 64 characters).</summary>
    public string? ClientToken { get; init; }

    /// <summary>True when the update touches the desired section.</summary>
    public bool TouchesDesired => Desired is not null || ClearDesired;

    /// <summary>
    /// Parses an update request <c>{"state": {"desired": {...}, "reported": {...}}, "version": 3, "clientToken": "..."}</c>;
    /// the error names the field in words.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out ShadowUpdate update, out string error)
    {
        update = null!;
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException exception)
        {
            error = $"the payload is not valid JSON: {exception.Message}";
            return false;
        }

        if (root is not JsonObject body)
        {
            error = "the payload must be a JSON object with a 'state' object";
            return false;
        }

        if (!TryReadCommon(body, out long? version, out string? clientToken, out error))
        {
            return false;
        }

        if (body["state"] is not JsonObject state)
        {
            error = "'state' is required and must be an object with 'desired' and/or 'reported'";
            return false;
        }

        JsonObject? desired = null, reported = null;
        bool clearDesired = false, clearReported = false, any = false;
        foreach (var (name, value) in state)
        {
            switch (name)
            {
                case "desired" when value is null:
                    clearDesired = any = true;
                    break;
                case "desired" when value is JsonObject d:
                    desired = d;
                    any = true;
                    break;
                case "reported" when value is null:
                    clearReported = any = true;
                    break;
                case "reported" when value is JsonObject r:
                    reported = r;
                    any = true;
                    break;
                case "desired" or "reported":
                    error = $"'state.{name}' must be an object or null";
                    return false;
                default:
                    error = $"'state.{name}' is not allowed: only 'desired' and 'reported' can be updated";
                    return false;
            }
        }

        if (!any)
        {
            error = "'state' must contain 'desired' and/or 'reported'";
            return false;
        }

        // Detach the sections from the parsed tree, so they can be merged into another document.
        state.Clear();
        update = new ShadowUpdate
        {
            Desired = desired,
            Reported = reported,
            ClearDesired = clearDesired,
            ClearReported = clearReported,
            ExpectedVersion = version,
            ClientToken = clientToken,
        };
        error = string.Empty;
        return true;
    }

    /// <summary>Reads the optional <c>version</c> and <c>clientToken</c> of a request body.</summary>
    internal static bool TryReadCommon(JsonObject body, out long? version, out string? clientToken, out string error)
    {
        version = null;
        clientToken = null;
        error = string.Empty;
        if (body["version"] is { } v)
        {
            if (v is not JsonValue value || !value.TryGetValue(out long number) || number < 0)
            {
                error = "'version' must be a non-negative integer";
                return false;
            }

            version = number;
        }

        if (body["clientToken"] is { } t)
        {
            if (t is not JsonValue tokenValue || !tokenValue.TryGetValue(out string? token) || token.Length > 64)
            {
                error = "'clientToken' must be a string of at most 64 characters";
                return false;
            }

            clientToken = token;
        }

        return true;
    }
}

/// <summary>
/// A shadow as of one version (an immutable snapshot). The sections are JSON objects (absent when empty);
/// <see cref="Delta"/> holds the desired fields that differ from reported.
/// </summary>
public sealed record ShadowDocument(
    string ThingName,
    long Version,
    DateTimeOffset UpdatedAt,
    JsonElement? Desired,
    JsonElement? Reported,
    JsonElement? Delta,
    JsonElement Metadata)
{
    /// <summary>The document as sent on <c>/get/accepted</c> (AWS IoT's shape; <c>timestamp</c> in Unix seconds).</summary>
    public string ToJson(string? clientToken = null)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("state");
            WriteSection(writer, "desired", Desired);
            WriteSection(writer, "reported", Reported);
            WriteSection(writer, "delta", Delta);
            writer.WriteEndObject();
            writer.WritePropertyName("metadata");
            Metadata.WriteTo(writer);
            writer.WriteNumber("version", Version);
            writer.WriteNumber("timestamp", UpdatedAt.ToUnixTimeSeconds());
            if (clientToken is not null)
            {
                writer.WriteString("clientToken", clientToken);
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteSection(Utf8JsonWriter writer, string name, JsonElement? section)
    {
        if (section is { } value)
        {
            writer.WritePropertyName(name);
            value.WriteTo(writer);
        }
    }
}
