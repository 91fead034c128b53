using System.Text;
using System.Text.Json;
using IoTix.Broker.Devices;
using IoTix.Broker.Methods;
using IoTix.Web.Devices;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Api;

/// <summary>
/// <c>/api/v1/registry/devices</c>: the device registry (FR-038) with connection status (FR-037), and direct
/// methods (FR-039). Under <c>/registry</c> because <c>/api/v1/devices</c> are the simulator's devices: a registered
/// device is any MQTT device (simulated or real), identified by its thing name.
/// </summary>
internal static class RegistryEndpoints
{
    public static void MapRegistry(this RouteGroupBuilder api)
    {
        var devices = api.MapGroup("/registry/devices").WithTags("Registry");
        devices.MapPost("/", Create)
            .WithSummary("Register a device (thing) with attributes and tags")
            .Accepts<RegisterDeviceRequest>("application/json")
            .Produces<RegisteredDevice>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);
        devices.MapGet("/", List)
            .WithSummary("List registered devices with their status")
            .WithDescription("Filters: tag (has this tag), status (online|offline). Paging: page/pageSize or offset/limit.")
            .Produces<PageResponse<RegisteredDevice>>()
            .ProducesValidationProblem();
        devices.MapGet("/{id}", Get)
            .WithSummary("Get a registered device and its status (online/offline, last seen)")
            .Produces<RegisteredDevice>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        devices.MapPut("/{id}", Update)
            .WithSummary("Replace a device's client id, name, attributes and tags")
            .Accepts<RegisterDeviceRequest>("application/json")
            .Produces<RegisteredDevice>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        devices.MapDelete("/{id}", Delete)
            .WithSummary("Remove a device from the registry (its shadow stays)")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
        devices.MapPost("/{id}/methods/{method}", Invoke)
            .WithSummary("Invoke a direct method on a connected device and wait for its answer")
            .WithDescription("Publishes the payload to $iotix/things/{id}/methods/{method} (a tenant's device: tenants/{tenant}/$iotix/things/{id}/methods/{method}) with an MQTT 5 Response Topic and Correlation Data; the device's answer completes the call. 404: unknown device; 409: offline; 504: no answer within timeoutSeconds.")
            .Accepts<InvokeMethodRequest>("application/json")
            .Produces<MethodResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout);
    }

    private static async Task<IResult> Create(HttpRequest request, IDeviceRegistry registry, ITenantContext tenant, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<RegisterDeviceRequest>(request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new FieldErrors();
        if (string.IsNullOrEmpty(body!.DeviceId))
        {
            errors.Add("deviceId", "is required");
        }

        var registration = Validate(body.DeviceId ?? "", body, errors);
        if (errors.Any)
        {
            return ApiProblems.Invalid(errors);
        }

        var result = await registry.CreateAsync(tenant.TenantId, registration, cancellationToken).ConfigureAwait(false);
        return result.Succeeded
            ? Results.Created($"{ApiEndpoints.Prefix}/registry/devices/{Uri.EscapeDataString(registration.DeviceId)}", result.Device)
            : Problem(result);
    }

    private static async Task<IResult> List(HttpRequest request, IDeviceRegistry registry, ITenantContext tenant, IOptions<ApiOptions> options, string? tag = null, string? status = null, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        if (status is { Length: > 0 } && status is not ("online" or "offline"))
        {
            errors.Add("status", $"must be online or offline (was '{status}')");
        }

        var paging = Paging.Parse(request.Query, options.Value, errors);
        if (errors.Any || paging is not { } page)
        {
            return ApiProblems.Invalid(errors);
        }

        var all = await registry.ListAsync(tenant.TenantId, cancellationToken).ConfigureAwait(false);
        if (all is null)
        {
            return Unavailable();
        }

        var matching = new List<RegisteredDevice>(all.Count);
        foreach (var device in all)
        {
            if ((tag is not { Length: > 0 } || device.Tags.Contains(tag, StringComparer.Ordinal))
                && (status is not { Length: > 0 } || device.Status.Online == (status == "online")))
            {
                matching.Add(device);
            }
        }

        return Results.Ok(page.Slice(matching));
    }

    private static async Task<IResult> Get(string id, IDeviceRegistry registry, ITenantContext tenant, CancellationToken cancellationToken)
    {
        var result = await registry.GetAsync(tenant.TenantId, id, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? Results.Ok(result.Device) : Problem(result);
    }

    private static async Task<IResult> Update(string id, HttpRequest request, IDeviceRegistry registry, ITenantContext tenant, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<RegisterDeviceRequest>(request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new FieldErrors();
        if (body!.DeviceId is { } named && named != id)
        {
            errors.Add("deviceId", $"must be the id of the URL ('{id}') or absent; a device cannot be renamed");
        }

        var registration = Validate(id, body, errors);
        if (errors.Any)
        {
            return ApiProblems.Invalid(errors);
        }

        var result = await registry.UpdateAsync(tenant.TenantId, registration, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? Results.Ok(result.Device) : Problem(result);
    }

    private static async Task<IResult> Delete(string id, IDeviceRegistry registry, ITenantContext tenant, CancellationToken cancellationToken)
    {
        var result = await registry.DeleteAsync(tenant.TenantId, id, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? Results.NoContent() : Problem(result);
    }

    private static async Task<IResult> Invoke(string id, string method, HttpRequest request, IDeviceRegistry registry, IDirectMethods methods, ITenantContext tenant, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<InvokeMethodRequest>(request, required: false, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new FieldErrors();
        if (!DeviceTopics.IsValidName(method))
        {
            errors.Add("method", "must be 1..128 characters without '/', '+', '#'");
        }

        if (body!.TimeoutSeconds is { } seconds && (seconds <= 0 || double.IsNaN(seconds)))
        {
            errors.Add("timeoutSeconds", $"must be more than 0 (was {seconds})");
        }

        if (errors.Any)
        {
            return ApiProblems.Invalid(errors);
        }

        var (clientId, notFound) = await ResolveClientAsync(id, registry, tenant, cancellationToken).ConfigureAwait(false);
        if (notFound is not null)
        {
            return notFound;
        }

        var payload = body.Payload is { } json ? Encoding.UTF8.GetBytes(json.GetRawText()) : [];
        var timeout = body.TimeoutSeconds is { } t ? TimeSpan.FromSeconds(t) : (TimeSpan?)null;
        var result = await methods.InvokeAsync(new DirectMethodRequest(TenantKeys.KeyOf(tenant.TenantId, id), clientId!, method, payload, timeout), cancellationToken).ConfigureAwait(false);
        return result.Outcome switch
        {
            DirectMethodOutcome.Completed => Results.Ok(new MethodResponse(result.Status, ParsePayload(result.Payload), (long)result.Elapsed.TotalMilliseconds)),
            DirectMethodOutcome.Offline => Results.Problem(result.Message, statusCode: StatusCodes.Status409Conflict, title: "Device offline", extensions: Code("deviceOffline")),
            DirectMethodOutcome.TimedOut => Results.Problem(result.Message, statusCode: StatusCodes.Status504GatewayTimeout, title: "Device did not answer", extensions: Code("timeout")),
            DirectMethodOutcome.InvalidRequest => ApiProblems.Invalid(Field("timeoutSeconds", result.Message)),
            _ => Results.Problem(result.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Unavailable", extensions: Code(result.Outcome == DirectMethodOutcome.Busy ? "busy" : "brokerNotRunning")),
        };
    }

    /// <summary>
    /// The MQTT client id (as the broker knows it: in the tenant's namespace) of a thing: its registration's, or the
    /// thing's key itself when the broker has seen a client of that id. Unknown to both: 404. A tenant reaches only
    /// ids of its namespace (<see cref="TenantKeys"/>), so another tenant's device is never found.
    /// </summary>
    internal static async Task<(string? ClientId, IResult? NotFound)> ResolveClientAsync(string id, IDeviceRegistry registry, ITenantContext tenant, CancellationToken cancellationToken)
    {
        if (!DeviceTopics.IsValidName(id))
        {
            return (null, ApiProblems.NotFound($"device '{id}'"));
        }

        var registered = await registry.GetAsync(tenant.TenantId, id, cancellationToken).ConfigureAwait(false);
        if (registered.Succeeded)
        {
            return (TenantKeys.KeyOf(tenant.TenantId, registered.Device!.ClientId), null);
        }

        if (registered.Error == RegistryError.Unavailable)
        {
            return (null, Unavailable());
        }

        return registry.LiveStatus(tenant.TenantId, id) is not null
            ? (TenantKeys.KeyOf(tenant.TenantId, id), null)
            : (null, ApiProblems.NotFound($"device '{id}' (neither registered nor seen by the broker)"));
    }

    private static DeviceRegistration Validate(string id, RegisterDeviceRequest body, FieldErrors errors)
    {
        if (id.Length > 0 && !DeviceTopics.IsValidName(id))
        {
            errors.Add("deviceId", "must be 1..128 characters without '/', '+', '#' or control characters (it is a topic level)");
        }

        if (body.ClientId is { } clientId && (clientId.Length is 0 or > 256))
        {
            errors.Add("clientId", "must be 1..256 characters");
        }

        if (body.Name is { Length: > 200 })
        {
            errors.Add("name", "must be at most 200 characters");
        }

        var attributes = body.Attributes ?? [];
        if (attributes.Count > 100)
        {
            errors.Add("attributes", $"at most 100 attributes (was {attributes.Count})");
        }

        foreach (var (key, value) in attributes)
        {
            if (key.Length is 0 or > 128 || value is null || value.Length > 1024)
            {
                errors.Add($"attributes.{key}", "names are 1..128 characters, values strings of at most 1024");
            }
        }

        var tags = body.Tags ?? [];
        if (tags.Count > 50)
        {
            errors.Add("tags", $"at most 50 tags (was {tags.Count})");
        }

        foreach (var tag in tags)
        {
            if (string.IsNullOrWhiteSpace(tag) || tag.Length > 64)
            {
                errors.Add("tags", $"a tag is 1..64 characters, not blank (was '{tag}')");
            }
        }

        return new DeviceRegistration(id, body.ClientId ?? id, body.Name, attributes, [.. tags.Distinct(StringComparer.Ordinal)]);
    }

    private static JsonElement? ParsePayload(byte[] payload)
    {
        if (payload.Length == 0)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(payload);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            // Not JSON: the text as a JSON string.
            return JsonSerializer.SerializeToElement(Encoding.UTF8.GetString(payload));
        }
    }

    internal static IResult Problem(RegistryResult result) => result.Error switch
    {
        RegistryError.NotFound => ApiProblems.NotFound(result.Message.Replace(" not found", "", StringComparison.Ordinal)),
        RegistryError.AlreadyExists => Results.Problem(result.Message, statusCode: StatusCodes.Status409Conflict, title: "Conflict", extensions: Code("alreadyExists")),
        RegistryError.Unavailable => Unavailable(),
        _ => ApiProblems.Invalid(Field("$", result.Message)),
    };

    internal static IResult Unavailable() =>
        Results.Problem("the database is unavailable; retry later", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Unavailable", extensions: Code("unavailable"));

    internal static Dictionary<string, object?> Code(string code) => new(StringComparer.Ordinal) { ["code"] = code };

    private static FieldErrors Field(string field, string message)
    {
        var errors = new FieldErrors();
        errors.Add(field, message);
        return errors;
    }
}

/// <summary>Body of <c>POST /api/v1/registry/devices</c> and <c>PUT .../{id}</c>.</summary>
public sealed class RegisterDeviceRequest
{
    /// <summary>The thing name (required on create; on update absent or the URL's id).</summary>
    public string? DeviceId { get; set; }

    /// <summary>The MQTT client id its status is tracked by; default the device id. A tenant's device connects as <c>tenants/{tenant}/{clientId}</c>.</summary>
    public string? ClientId { get; set; }

    public string? Name { get; set; }

    public Dictionary<string, string>? Attributes { get; set; }

    public List<string>? Tags { get; set; }
}

/// <summary>Body of <c>POST /api/v1/registry/devices/{id}/methods/{method}</c>.</summary>
public sealed class InvokeMethodRequest
{
    /// <summary>The request payload (any JSON), sent as the PUBLISH payload.</summary>
    public JsonElement? Payload { get; set; }

    /// <summary>How long to wait for the answer; default <c>Broker:Devices:MethodTimeoutSeconds</c>.</summary>
    public double? TimeoutSeconds { get; set; }
}

/// <summary>The device's answer: its status (the <c>status</c> user property, default 200) and payload (JSON, or its text as a string).</summary>
public sealed record MethodResponse(int Status, JsonElement? Payload, long DurationMs);
