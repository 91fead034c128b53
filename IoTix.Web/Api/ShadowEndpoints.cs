using System.Text;
using System.Text.Json.Nodes;
using IoTix.Broker.Shadows;
using IoTix.Broker.Devices;
using IoTix.Web.Devices;
using IoTix.Web.Tenancy;

namespace IoTix.Web.Api;

/// <summary>
/// <c>/api/v1/shadows/{id}</c>: device shadows (FR-035, FR-036). GET returns the document (desired, reported, delta,
/// metadata, version; ETag = version); PATCH merges (AWS IoT update semantics: null deletes a field), PUT replaces the
/// desired section; both accept a <c>version</c> in the body or an <c>If-Match</c> header and answer 409 when the
/// shadow is at another version. A desired change publishes the delta on the device's delta topic. A caller names its
/// bare thing id; a tenant's shadows live under its namespace (<c>tenants/{t}/$iotix/things/{id}/shadow/...</c>).
/// </summary>
internal static class ShadowEndpoints
{
    public static void MapShadows(this RouteGroupBuilder api)
    {
        var shadows = api.MapGroup("/shadows").WithTags("Shadows");
        shadows.MapGet("/{id}", Get)
            .WithSummary("Get a device's shadow: desired, reported, delta, metadata timestamps and version")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound);
        Updates(shadows.MapPatch("/{id}", Patch)
            .WithSummary("Update a shadow: merge desired and/or reported ({\"state\": {\"desired\": {...}}, \"version\": n})"));
        Updates(shadows.MapPut("/{id}", Put)
            .WithSummary("Replace the desired section of a shadow ({\"state\": {\"desired\": {...}}, \"version\": n})"));
        shadows.MapDelete("/{id}", Delete)
            .WithSummary("Delete a shadow (optionally only at the If-Match version)")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static void Updates(RouteHandlerBuilder route) => route
        .Produces(StatusCodes.Status200OK, contentType: "application/json")
        .ProducesValidationProblem()
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

    private static async Task<IResult> Get(string id, HttpContext http, IShadowService shadows, ITenantContext tenant, CancellationToken cancellationToken)
    {
        if (!TryKey(id, tenant, out var key, out var notFound))
        {
            return notFound;
        }

        var document = await shadows.GetAsync(key, cancellationToken).ConfigureAwait(false);
        return document is null ? NoShadow(id) : Document(http, id, document);
    }

    private static Task<IResult> Patch(string id, HttpContext http, IShadowService shadows, ITenantContext tenant, CancellationToken cancellationToken) =>
        UpdateAsync(id, http, shadows, tenant, replaceDesired: false, cancellationToken);

    private static Task<IResult> Put(string id, HttpContext http, IShadowService shadows, ITenantContext tenant, CancellationToken cancellationToken) =>
        UpdateAsync(id, http, shadows, tenant, replaceDesired: true, cancellationToken);

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, IShadowService shadows, ITenantContext tenant, bool replaceDesired, CancellationToken cancellationToken)
    {
        if (!TryKey(id, tenant, out var key, out var notFound))
        {
            return notFound;
        }

        var (text, problem) = await ApiJson.ReadTextAsync(http.Request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (!ShadowUpdate.TryParse(Encoding.UTF8.GetBytes(text!), out var update, out var error))
        {
            return Invalid(error);
        }

        if (replaceDesired && (update.Desired is null || update.Reported is not null || update.ClearReported))
        {
            return Invalid("PUT replaces the desired section: the body is {\"state\": {\"desired\": {...}}}; use PATCH for reported");
        }

        if (!TryExpectedVersion(http.Request, update.ExpectedVersion, out var expected, out var versionError))
        {
            return Invalid(versionError);
        }

        var result = await shadows.UpdateAsync(key, new ShadowUpdate
        {
            Desired = update.Desired,
            Reported = update.Reported,
            ClearDesired = update.ClearDesired,
            ClearReported = update.ClearReported,
            ReplaceDesired = replaceDesired,
            ExpectedVersion = expected,
            ClientToken = update.ClientToken,
        }, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? Document(http, id, result.Document!) : Problem(result, id, key);
    }

    private static async Task<IResult> Delete(string id, HttpContext http, IShadowService shadows, ITenantContext tenant, CancellationToken cancellationToken)
    {
        if (!TryKey(id, tenant, out var key, out var notFound))
        {
            return notFound;
        }

        if (!TryExpectedVersion(http.Request, null, out var expected, out var versionError))
        {
            return Invalid(versionError);
        }

        var result = await shadows.DeleteAsync(key, expected, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? Results.NoContent() : Problem(result, id, key);
    }

    /// <summary>
    /// The broker key of the caller's thing <paramref name="id"/>: in the tenant's namespace (<see cref="TenantKeys"/>),
    /// so a tenant reaches only its own shadows and another tenant's are not found. An id that is not a thing name is
    /// not found either (it could otherwise name a key of another namespace).
    /// </summary>
    private static bool TryKey(string id, ITenantContext tenant, out string key, out IResult notFound)
    {
        key = DeviceTopics.IsValidName(id) ? TenantKeys.KeyOf(tenant.TenantId, id) : "";
        notFound = NoShadow(id);
        return key.Length > 0;
    }

    /// <summary>The version to check: the body's <c>version</c> or the <c>If-Match</c> header (an ETag such as <c>"7"</c>); both must agree.</summary>
    private static bool TryExpectedVersion(HttpRequest request, long? bodyVersion, out long? expected, out string error)
    {
        expected = bodyVersion;
        error = string.Empty;
        var header = request.Headers.IfMatch.ToString();
        if (header.Length == 0)
        {
            return true;
        }

        var trimmed = header.Trim();
        if (trimmed.StartsWith("W/", StringComparison.Ordinal))
        {
            trimmed = trimmed[2..];
        }

        if (!long.TryParse(trimmed.Trim('"'), out var version) || version < 0)
        {
            error = $"If-Match must be the shadow's version as an ETag, e.g. \"7\" (was {header})";
            return false;
        }

        if (bodyVersion is { } v && v != version)
        {
            error = $"the body's version ({v}) and If-Match ({version}) differ";
            return false;
        }

        expected = version;
        return true;
    }

    /// <summary>The document as the caller knows it: <c>thingName</c> is its bare id.</summary>
    private static IResult Document(HttpContext http, string id, ShadowDocument document)
    {
        http.Response.Headers.ETag = $"\"{document.Version}\"";
        var body = JsonNode.Parse(document.ToJson())!.AsObject();
        body.Insert(0, "thingName", id);
        return Results.Text(body.ToJsonString(), "application/json", Encoding.UTF8);
    }

    private static IResult NoShadow(string id) => Results.Problem($"device '{id}' has no shadow", statusCode: StatusCodes.Status404NotFound, title: "Not found", extensions: RegistryEndpoints.Code("notFound"));

    private static IResult Invalid(string message)
    {
        var errors = new FieldErrors();
        errors.Add("$", message);
        return ApiProblems.Invalid(errors, message);
    }

    /// <summary>The failure in words of the caller: its id, never the namespaced key.</summary>
    private static IResult Problem(ShadowResult raw, string id, string key)
    {
        var result = key == id ? raw : raw with { Message = raw.Message.Replace(key, id, StringComparison.Ordinal) };
        return Problem(result);
    }

    private static IResult Problem(ShadowResult result) => result.Error switch
    {
        ShadowError.VersionConflict => Results.Problem(result.Message, statusCode: StatusCodes.Status409Conflict, title: "Version conflict", extensions: RegistryEndpoints.Code("versionConflict")),
        ShadowError.NotFound => Results.Problem(result.Message, statusCode: StatusCodes.Status404NotFound, title: "Not found", extensions: RegistryEndpoints.Code("notFound")),
        ShadowError.PayloadTooLarge => Results.Problem(result.Message, statusCode: StatusCodes.Status413PayloadTooLarge, title: "Shadow too large", extensions: RegistryEndpoints.Code("tooLarge")),
        ShadowError.BadRequest => Invalid(result.Message),
        _ => Results.Problem(result.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Unavailable", extensions: RegistryEndpoints.Code("unavailable")),
    };
}
