using IoTix.Core.Devices;
using IoTix.Core.Generators;
using IoTix.Core.Strategies;
using IoTix.Web.Simulations;
using Microsoft.Extensions.Options;

using IoTix.Web.Accounts;

namespace IoTix.Web.Api;

/// <summary><c>/api/v1/groups</c>: create, list, start (launch strategies), stop, dropout, delete, progress, previews, runs.</summary>
internal static class GroupEndpoints
{
    /// <summary>Devices listed in a dropout answer (the rest are counted).</summary>
    private const int MaxListedDropouts = 1000;

    private const int MaxFirstOffsets = 20;

    public static void MapGroups(this RouteGroupBuilder api)
    {
        var groups = api.MapGroup("/groups").WithTags("Groups");

        groups.MapPost("/", Create)
            .RequirePermission(Permissions.SimulationsWrite)
            .WithSummary("Create a group of devices from a model")
            .Accepts<CreateGroupRequest>("application/json")
            .Produces<GroupResponse>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        groups.MapGet("/", List)
            .RequirePermission(Permissions.SimulationsRead)
            .WithSummary("List groups")
            .Produces<PageResponse<GroupResponse>>()
            .ProducesValidationProblem();
        groups.MapGet("/{groupId}", Get)
            .RequirePermission(Permissions.SimulationsRead)
            .WithSummary("Get a group with its state counts and launch progress")
            .Produces<GroupResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        groups.MapGet("/{groupId}/progress", Progress)
            .RequirePermission(Permissions.SimulationsRead)
            .WithSummary("Launch progress of a group: started, running, pending counts")
            .Produces<ProgressResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        groups.MapPost("/{groupId}/start", Start)
            .RequirePermission(Permissions.SimulationsRun)
            .WithSummary("Start a group on a launch strategy; answers at once with the plan (202)")
            .Accepts<LaunchRequest>("application/json")
            .Produces<LaunchAcceptedResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        groups.MapPost("/{groupId}/restart", Restart)
            .WithSummary("Stop a group and start it again (body optional: a launch strategy, default its last one); its devices pick up the model's current revision (202)")
            .Accepts<LaunchRequest>("application/json")
            .Produces<LaunchAcceptedResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        groups.MapPost("/{groupId}/stop", Stop)
            .RequirePermission(Permissions.SimulationsRun)
            .WithSummary("Stop a group (pending launches cancelled, graceful disconnects)")
            .Produces<GroupStopResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        groups.MapPost("/{groupId}/dropout", Dropout)
            .RequirePermission(Permissions.SimulationsRun)
            .WithSummary("Drop running devices of a group on a dropout strategy (202)")
            .Accepts<DropoutRequest>("application/json")
            .Produces<DropoutAcceptedResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        groups.MapDelete("/{groupId}", Delete)
            .RequirePermission(Permissions.SimulationsWrite)
            .WithSummary("Delete a group and all its devices")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
        groups.MapGet("/{groupId}/launch/preview", LaunchPreview)
            .RequirePermission(Permissions.SimulationsRead)
            .WithSummary("Timeline of a launch: when devices start (query: the launch fields, count, points)")
            .Produces<LaunchPreviewResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        groups.MapGet("/{groupId}/dropout/preview", DropoutPreview)
            .RequirePermission(Permissions.SimulationsRead)
            .WithSummary("Timeline of a dropout: when devices drop (query: the dropout fields, eligible, points)")
            .Produces<DropoutPreviewResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        groups.MapGet("/{groupId}/runs", Runs)
            .RequirePermission(Permissions.SimulationsRead)
            .WithSummary("The group's runs (one per start), newest first")
            .Produces<IReadOnlyList<RunResponse>>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<IResult> Create(HttpRequest request, SimulationOrchestrator simulations, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<CreateGroupRequest>(request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(body!.ModelId))
        {
            errors.Add("modelId", "is required");
        }

        if (body.Count is < 1)
        {
            errors.Add("count", $"must be at least 1 (was {body.Count})");
        }

        if (body.GroupId is { } groupId && (groupId.Length == 0 || groupId.Length > 200 || groupId.Contains('/', StringComparison.Ordinal)))
        {
            errors.Add("groupId", "must be 1 to 200 characters without '/'");
        }

        if (body.IdPattern is { Length: 0 })
        {
            errors.Add("idPattern", "must not be empty");
        }

        if (errors.Any)
        {
            return ApiProblems.Invalid(errors);
        }

        var spec = new DeviceGroupSpec { ModelId = body.ModelId!, Count = body.Count ?? 1, GroupId = body.GroupId, IdPattern = body.IdPattern };
        var result = await simulations.CreateGroupAsync(spec, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return ApiProblems.From(result.Error!);
        }

        var group = ToResponse(result.Value!);
        return Results.Created($"/api/v1/groups/{Uri.EscapeDataString(group.GroupId)}", group);
    }

    private static IResult List(HttpRequest request, SimulationOrchestrator simulations, IOptions<ApiOptions> options)
    {
        var errors = new FieldErrors();
        if (Paging.Parse(request.Query, options.Value, errors) is not { } page)
        {
            return ApiProblems.Invalid(errors);
        }

        var views = simulations.ListGroups();
        var all = new List<GroupResponse>(views.Count);
        foreach (var view in views)
        {
            all.Add(ToResponse(view));
        }

        return Results.Ok(page.Slice(all));
    }

    private static IResult Get(string groupId, SimulationOrchestrator simulations) =>
        simulations.GetGroup(groupId) is { } view ? Results.Ok(ToResponse(view)) : GroupNotFound(groupId);

    private static IResult Progress(string groupId, SimulationOrchestrator simulations) =>
        simulations.GetGroup(groupId) is { } view ? Results.Ok(ToProgress(view)) : GroupNotFound(groupId);

    private static Task<IResult> Start(string groupId, HttpRequest request, SimulationOrchestrator simulations, CancellationToken cancellationToken) =>
        LaunchAsync(groupId, request, restart: false, simulations, cancellationToken);

    private static Task<IResult> Restart(string groupId, HttpRequest request, SimulationOrchestrator simulations, CancellationToken cancellationToken) =>
        LaunchAsync(groupId, request, restart: true, simulations, cancellationToken);

    /// <summary>Start, or restart (stop, then start on the body's strategy or the group's last one).</summary>
    private static async Task<IResult> LaunchAsync(string groupId, HttpRequest request, bool restart, SimulationOrchestrator simulations, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<LaunchRequest>(request, required: false, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new FieldErrors();
        var launch = ApiRequests.ToLaunch(body!, errors);
        if (launch is null)
        {
            return ApiProblems.Invalid(errors);
        }

        var result = restart
            ? await simulations.RestartGroupAsync(groupId, IsEmpty(body!) ? null : launch, cancellationToken).ConfigureAwait(false)
            : await simulations.StartGroupAsync(groupId, launch, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return ApiProblems.From(result.Error!);
        }

        var receipt = result.Value!;
        var statusUrl = $"/api/v1/groups/{Uri.EscapeDataString(groupId)}/progress";
        return Results.Accepted(statusUrl, new LaunchAcceptedResponse(
            groupId,
            receipt.RunId,
            ApiRequests.Describe(receipt.Launch),
            receipt.Plan.DeviceCount,
            (long)receipt.Plan.Duration.TotalMilliseconds,
            receipt.StartedAt,
            receipt.StartedAt + receipt.Plan.Duration,
            statusUrl,
            receipt.ModelRevision,
            receipt.UpdatedFromRevision));
    }

    private static bool IsEmpty(LaunchRequest body) =>
        body.Strategy is null && body.DelayMs is null && body.BatchSize is null && body.MaxDelayMs is null && body.ExponentBase is null;

    private static async Task<IResult> Stop(string groupId, SimulationOrchestrator simulations, CancellationToken cancellationToken)
    {
        var result = await simulations.StopGroupAsync(groupId, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? Results.Ok(new GroupStopResponse(groupId, result.Value)) : ApiProblems.From(result.Error!);
    }

    private static async Task<IResult> Dropout(string groupId, HttpRequest request, SimulationOrchestrator simulations, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<DropoutRequest>(request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new FieldErrors();
        var plan = ApiRequests.ToDropout(body!, errors);
        if (plan is null)
        {
            return ApiProblems.Invalid(errors);
        }

        var result = simulations.Dropout(groupId, plan);
        if (!result.Succeeded)
        {
            return ApiProblems.From(result.Error!);
        }

        var schedule = result.Value!;
        var listed = new List<PlannedDropoutResponse>(Math.Min(MaxListedDropouts, schedule.Devices.Count));
        long duration = 0;
        foreach (var device in schedule.Devices)
        {
            var dropAt = (long)device.DropAt.TotalMilliseconds;
            duration = Math.Max(duration, dropAt);
            if (listed.Count < MaxListedDropouts)
            {
                listed.Add(new PlannedDropoutResponse(device.DeviceId, dropAt, device.ReconnectAt is { } r ? (long)r.TotalMilliseconds : null));
            }
        }

        return Results.Accepted($"/api/v1/groups/{Uri.EscapeDataString(groupId)}", new DropoutAcceptedResponse(
            groupId, ApiRequests.DropoutName(plan.Strategy), schedule.EligibleCount, schedule.Devices.Count, duration, plan.Reconnect, listed.Count, listed));
    }

    private static async Task<IResult> Delete(string groupId, SimulationOrchestrator simulations, CancellationToken cancellationToken)
    {
        var result = await simulations.DeleteGroupAsync(groupId, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? Results.NoContent() : ApiProblems.From(result.Error!);
    }

    private static IResult LaunchPreview(string groupId, HttpRequest request, SimulationOrchestrator simulations)
    {
        if (simulations.GetGroup(groupId) is not { } view)
        {
            return GroupNotFound(groupId);
        }

        var errors = new FieldErrors();
        var fromQuery = ApiRequests.LaunchFromQuery(request.Query, errors);
        var count = ApiRequests.QueryInt(request.Query, "count", errors) ?? view.Count;
        var points = ApiRequests.QueryInt(request.Query, "points", errors) ?? 50;
        CheckPreviewSizes(count, "count", points, errors);
        var launch = fromQuery is null ? view.Launch ?? LaunchStrategy.Immediate : ApiRequests.ToLaunch(fromQuery, errors);
        if (errors.Any || launch is null)
        {
            return ApiProblems.Invalid(errors);
        }

        var offsets = new long[count];
        launch.ComputeOffsets(offsets);
        return Results.Ok(new LaunchPreviewResponse(
            groupId, ApiRequests.Describe(launch), count, count == 0 ? 0 : offsets[^1], First(offsets), Timeline(offsets, points)));
    }

    private static IResult DropoutPreview(string groupId, HttpRequest request, SimulationOrchestrator simulations)
    {
        if (simulations.GetGroup(groupId) is not { } view)
        {
            return GroupNotFound(groupId);
        }

        var errors = new FieldErrors();
        var body = ApiRequests.DropoutFromQuery(request.Query, errors);
        var eligible = ApiRequests.QueryInt(request.Query, "eligible", errors)
            ?? (view.Stats.RunningDeviceCount > 0 ? view.Stats.RunningDeviceCount : view.Stats.DeviceCount);
        var points = ApiRequests.QueryInt(request.Query, "points", errors) ?? 50;
        CheckPreviewSizes(eligible, "eligible", points, errors);
        var plan = errors.Any ? null : ApiRequests.ToDropout(body, errors);
        if (errors.Any || plan is null)
        {
            return ApiProblems.Invalid(errors);
        }

        var dropped = plan.ResolveCount(eligible);

        // The seed of the group's first dropout in this run; later dropouts mix in their number, so random offsets are indicative.
        var seed = DeviceRandom.Mix(simulations.Engine.RunSeed, groupId, 0x4000);
        var preview = plan.Preview(dropped, seed);
        var offsets = new long[preview.Count];
        for (var i = 0; i < offsets.Length; i++)
        {
            offsets[i] = (long)preview[i].TotalMilliseconds;
        }

        long total = offsets.Length == 0 ? 0 : offsets[^1];
        long? lastReconnect = plan.Reconnect && offsets.Length > 0 ? total + plan.ReconnectDelayMs : null;
        return Results.Ok(new DropoutPreviewResponse(
            groupId, ApiRequests.DropoutName(plan.Strategy), eligible, dropped, total, plan.Reconnect, lastReconnect, First(offsets), Timeline(offsets, points)));
    }

    private static async Task<IResult> Runs(string groupId, HttpRequest request, SimulationOrchestrator simulations, IOptions<ApiOptions> options, CancellationToken cancellationToken)
    {
        if (simulations.GetGroup(groupId) is null)
        {
            return GroupNotFound(groupId);
        }

        var errors = new FieldErrors();
        var limit = ApiRequests.QueryInt(request.Query, "limit", errors) ?? 20;
        if (limit < 1 || limit > options.Value.MaxPageSize)
        {
            errors.Add("limit", $"must be between 1 and {options.Value.MaxPageSize} (was {limit})");
        }

        if (errors.Any)
        {
            return ApiProblems.Invalid(errors);
        }

        var runs = await simulations.ListRunsAsync(groupId, limit, cancellationToken).ConfigureAwait(false);
        if (runs is null)
        {
            return Results.Problem("the database is unavailable; runs cannot be read now", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Unavailable");
        }

        var result = new List<RunResponse>(runs.Count);
        foreach (var r in runs)
        {
            result.Add(new RunResponse(
                r.Id, r.GroupId, r.StartedAt, ApiRequests.Describe(r.Launch), r.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
                r.DeviceCount, r.PlannedDevices, (long)r.ExpectedDuration.TotalMilliseconds, r.Resumed, r.EndedAt, r.EndReason,
                r.AtEnd?.RunningDevices, r.AtEnd?.MessagesSent, r.AtEnd?.MessagesFailed, r.AtEnd?.BytesSent));
        }

        return Results.Ok(result);
    }

    private static void CheckPreviewSizes(int count, string countField, int points, FieldErrors errors)
    {
        if (count is < 0 or > 10_000_000)
        {
            errors.Add(countField, $"must be between 0 and 10000000 (was {count})");
        }

        if (points is < 2 or > 1000)
        {
            errors.Add("points", $"must be between 2 and 1000 (was {points})");
        }
    }

    /// <summary>Up to <paramref name="points"/> evenly spaced points: devices with an offset at or before each time.</summary>
    internal static List<TimelinePoint> Timeline(long[] sortedOffsets, int points)
    {
        var timeline = new List<TimelinePoint>(points);
        if (sortedOffsets.Length == 0)
        {
            timeline.Add(new TimelinePoint(0, 0));
            return timeline;
        }

        long total = sortedOffsets[^1];
        if (total == 0)
        {
            timeline.Add(new TimelinePoint(0, sortedOffsets.Length));
            return timeline;
        }

        long previous = -1;
        for (var j = 0; j < points; j++)
        {
            long at = total * j / (points - 1);
            if (at == previous)
            {
                continue;
            }

            previous = at;
            timeline.Add(new TimelinePoint(at, OffsetTimeline.CountAtOrBefore(sortedOffsets, at)));
        }

        return timeline;
    }

    private static long[] First(long[] offsets) => offsets.AsSpan(0, Math.Min(MaxFirstOffsets, offsets.Length)).ToArray();

    private static IResult GroupNotFound(string groupId) => ApiProblems.NotFound($"group '{groupId}'");

    internal static GroupResponse ToResponse(GroupView view) => new(
        view.GroupId,
        view.ModelId,
        view.Count,
        view.IdPattern,
        view.CreatedAt,
        view.Running,
        view.Launch is null ? null : ApiRequests.Describe(view.Launch),
        view.Stats.DeviceCount,
        view.Stats.RunningDeviceCount,
        view.Stats.MessagesSent,
        view.Stats.MessagesFailed,
        view.Stats.BytesSent,
        view.Stats.DevicesByState,
        view.Progress is null ? null : ToProgress(view),
        view.ModelRevision?.Revision,
        view.ModelRevision?.LatestRevision,
        view.ModelRevision?.Outdated ?? false);

    internal static ProgressResponse ToProgress(GroupView view)
    {
        if (view.Progress is not { } p)
        {
            // Never started: nothing is planned or pending.
            return new ProgressResponse(view.GroupId, view.Running, null, null, 0, null, 0, 0, 0, 0, view.Stats.RunningDeviceCount, 0, 0, 0, false);
        }

        return new ProgressResponse(
            view.GroupId, view.Running, p.RunId, p.StartedAt, (long)p.ExpectedDuration.TotalMilliseconds, p.StartedAt + p.ExpectedDuration,
            p.PlannedDevices, p.StartedDevices, p.PendingDevices, p.StartingDevices, p.RunningDevices, p.FailedDevices, p.DroppedDevices,
            p.ReconnectingDevices, p.Complete);
    }
}
