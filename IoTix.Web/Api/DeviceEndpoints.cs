using IoTix.Core.Devices;
using IoTix.Core.Protocols;
using IoTix.Web.Simulations;
using Microsoft.Extensions.Options;

using IoTix.Web.Accounts;

namespace IoTix.Web.Api;

/// <summary><c>/api/v1/devices</c>: single devices and the devices of groups.</summary>
internal static class DeviceEndpoints
{
    public static void MapDevices(this RouteGroupBuilder api)
    {
        var devices = api.MapGroup("/devices").WithTags("Devices");

        devices.MapPost("/", Create)
            .RequirePermission(Permissions.SimulationsWrite)
            .WithSummary("Create a device from a model (state created)")
            .Accepts<CreateDeviceRequest>("application/json")
            .Produces<DeviceResponse>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        devices.MapGet("/", List)
            .RequirePermission(Permissions.SimulationsRead)
            .WithSummary("List devices")
            .WithDescription("Filters: groupId, state (created|starting|running|stopping|stopped|dropped|reconnecting|failed). Paging: page/pageSize or offset/limit; the answer carries the total count.")
            .Produces<PageResponse<DeviceResponse>>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        devices.MapGet("/{id}", Get)
            .RequirePermission(Permissions.SimulationsRead)
            .WithSummary("Get a device")
            .Produces<DeviceResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        devices.MapPost("/{id}/start", Start)
            .RequirePermission(Permissions.SimulationsRun)
            .WithSummary("Start a device (it connects asynchronously)")
            .Produces<DeviceResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        devices.MapPost("/{id}/stop", Stop)
            .RequirePermission(Permissions.SimulationsRun)
            .WithSummary("Stop a device (graceful disconnect)")
            .Produces<DeviceResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        devices.MapDelete("/{id}", Delete)
            .RequirePermission(Permissions.SimulationsWrite)
            .WithSummary("Delete a single device (devices of a group go with their group)")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        devices.MapGet("/{id}/metrics", Metrics)
            .RequirePermission(Permissions.SimulationsRead)
            .WithSummary("Get a device's counters")
            .Produces<DeviceMetricsResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> Create(HttpRequest request, SimulationOrchestrator simulations, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<CreateDeviceRequest>(request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(body!.ModelId))
        {
            errors.Add("modelId", "is required");
        }

        if (body.DeviceId is { } id && (id.Length == 0 || id.Length > 200 || id.Contains('/', StringComparison.Ordinal)))
        {
            errors.Add("deviceId", "must be 1 to 200 characters without '/'");
        }

        if (body.GroupId is { } group && (group.Length == 0 || group.Length > 200))
        {
            errors.Add("groupId", "must be 1 to 200 characters");
        }

        if (body.Endpoint is { } endpoint && (endpoint.Length == 0 || endpoint.Length > 300 || !EndpointResolver.TryParseAddress(endpoint, out _, out _, out _)))
        {
            errors.Add("endpoint", "must be host or host:port (e.g. 127.0.0.1:1884), at most 300 characters");
        }

        if (errors.Any)
        {
            return ApiProblems.Invalid(errors);
        }

        var result = await simulations.CreateDeviceAsync(body.ModelId!, body.DeviceId, body.GroupId, body.Endpoint, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return ApiProblems.From(result.Error!);
        }

        var device = ToResponse(result.Value!);
        return Results.Created($"/api/v1/devices/{Uri.EscapeDataString(device.DeviceId)}", device);
    }

    private static IResult List(HttpRequest request, SimulationOrchestrator simulations, IOptions<ApiOptions> options, string? groupId = null, string? state = null)
    {
        var errors = new FieldErrors();
        DeviceState? stateFilter = null;
        if (state is { Length: > 0 })
        {
            if (DeviceLifecycle.TryParseState(state, out var parsed))
            {
                stateFilter = parsed;
            }
            else
            {
                errors.Add("state", $"must be one of {DeviceLifecycle.StateNames} (was '{state}')");
            }
        }

        var paging = Paging.Parse(request.Query, options.Value, errors);
        if (errors.Any || paging is not { } page)
        {
            return ApiProblems.Invalid(errors);
        }

        if (groupId is { Length: > 0 })
        {
            if (!simulations.TryGetEngineGroup(groupId, out var group))
            {
                return ApiProblems.From(SimulationError.ForField(EngineErrorCode.NotFound, "groupId", $"group '{groupId}' not found"));
            }

            // Page over the group's devices without snapshotting all of them (groups hold up to a million).
            var members = group.Devices;
            var revision = simulations.GroupModelRevision(groupId);
            var items = new List<DeviceResponse>(Math.Min(page.Limit, members.Count));
            int total = 0;
            foreach (var device in members)
            {
                if (stateFilter is { } s && device.State != s)
                {
                    continue;
                }

                if (total >= page.Offset && items.Count < page.Limit && simulations.TryGetMetrics(device, out var metrics))
                {
                    items.Add(ToResponse(new DeviceView(metrics, null) { ModelRevision = revision }));
                }

                total++;
            }

            return Results.Ok(page.Respond<DeviceResponse>(items, total));
        }

        var all = new List<DeviceResponse>();
        foreach (var metrics in simulations.ListDevices())
        {
            if (stateFilter is null || metrics.State == stateFilter)
            {
                all.Add(ToResponse(new DeviceView(metrics, simulations.DesiredRunning(metrics.DeviceId)) { ModelRevision = simulations.DeviceModelRevision(metrics.DeviceId) }));
            }
        }

        return Results.Ok(page.Slice(all));
    }

    private static IResult Get(string id, SimulationOrchestrator simulations) =>
        simulations.GetDevice(id) is { } device ? Results.Ok(ToResponse(device)) : ApiProblems.NotFound($"device '{id}'");

    private static async Task<IResult> Start(string id, SimulationOrchestrator simulations, CancellationToken cancellationToken)
    {
        var result = await simulations.StartDeviceAsync(id, cancellationToken).ConfigureAwait(false);
        return result.Succeeded
            ? Results.Accepted($"/api/v1/devices/{Uri.EscapeDataString(id)}", ToResponse(result.Value!))
            : ApiProblems.From(result.Error!);
    }

    private static async Task<IResult> Stop(string id, SimulationOrchestrator simulations, CancellationToken cancellationToken)
    {
        var result = await simulations.StopDeviceAsync(id, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? Results.Ok(ToResponse(result.Value!)) : ApiProblems.From(result.Error!);
    }

    private static async Task<IResult> Delete(string id, SimulationOrchestrator simulations, CancellationToken cancellationToken)
    {
        var result = await simulations.DeleteDeviceAsync(id, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? Results.NoContent() : ApiProblems.From(result.Error!);
    }

    private static IResult Metrics(string id, SimulationOrchestrator simulations)
    {
        if (!simulations.TryGetDeviceMetrics(id, out var m))
        {
            return ApiProblems.NotFound($"device '{id}'");
        }

        return Results.Ok(new DeviceMetricsResponse(
            m.DeviceId, DeviceLifecycle.Name(m.State), m.MessagesSent, m.MessagesFailed, m.BytesSent, m.CommandsReceived,
            m.Drops, m.Reconnects, m.LastMessageAt, m.StateSince, m.LastError));
    }

    internal static DeviceResponse ToResponse(DeviceView view)
    {
        var m = view.Metrics;
        string? desired = view.DesiredRunning switch
        {
            true => "running",
            false => "stopped",
            null => null,
        };
        var r = view.ModelRevision;
        return new DeviceResponse(m.DeviceId, m.GroupId, m.Index, m.ModelId, DeviceLifecycle.Name(m.State), m.StateSince, desired, m.LastError, r?.Revision, r?.LatestRevision, r?.Outdated ?? false);
    }
}
