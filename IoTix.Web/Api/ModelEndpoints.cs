using IoTix.Core.Models;
using IoTix.Web.Simulations;
using Microsoft.Extensions.Options;

using IoTix.Web.Accounts;
using IoTix.Web.Tenancy;

namespace IoTix.Web.Api;

/// <summary><c>/api/v1/models</c>: list, read, create, replace, delete and validate device models.</summary>
internal static class ModelEndpoints
{
    public static void MapModels(this RouteGroupBuilder api)
    {
        var models = api.MapGroup("/models").WithTags("Models");

        models.MapGet("/", List)
            .RequirePermission(Permissions.ModelsRead)
            .WithSummary("List device models")
            .WithDescription("Filters: search (id, name, description; case-insensitive), type (sensor|gateway|actuator|custom), protocol (mqtt|coap|http). Paging: page/pageSize or offset/limit.")
            .Produces<PageResponse<ModelSummaryResponse>>()
            .ProducesValidationProblem();
        models.MapGet("/{id}", Get)
            .RequirePermission(Permissions.ModelsRead)
            .WithSummary("Get a device model (its JSON)")
            .Produces<DeviceModel>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        models.MapPost("/", Create)
            .RequirePermission(Permissions.ModelsWrite)
            .WithSummary("Create a device model (validated; stored in the database)")
            .Accepts<DeviceModel>("application/json")
            .Produces<DeviceModel>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);
        models.MapPut("/{id}", Put)
            .RequirePermission(Permissions.ModelsWrite)
            .WithSummary("Create or replace an API device model; running devices keep their revision until they restart (X-IoTix-Outdated-Users counts them)")
            .Accepts<DeviceModel>("application/json")
            .Produces<DeviceModel>()
            .Produces<DeviceModel>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);
        models.MapDelete("/{id}", Delete)
            .RequirePermission(Permissions.ModelsWrite)
            .WithSummary("Delete an API device model (models from files are read-only: 409)")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        models.MapPost("/validate", Validate)
            .RequirePermission(Permissions.ModelsRead)
            .WithSummary("Validate a device model without storing it; every error with its JSON path")
            .Accepts<DeviceModel>("application/json")
            .Produces<ModelValidationResponse>();
    }

    private static IResult List(HttpRequest request, SimulationOrchestrator simulations, ITenantContext tenant, IOptions<ApiOptions> options, string? search = null, string? type = null, string? protocol = null)
    {
        var errors = new FieldErrors();
        DeviceType? typeFilter = null;
        DeviceProtocol? protocolFilter = null;
        if (type is { Length: > 0 })
        {
            typeFilter = ParseEnum<DeviceType>(type, "type", errors);
        }

        if (protocol is { Length: > 0 })
        {
            protocolFilter = ParseEnum<DeviceProtocol>(protocol, "protocol", errors);
        }

        var paging = Paging.Parse(request.Query, options.Value, errors);
        if (errors.Any || paging is null)
        {
            return ApiProblems.Invalid(errors);
        }

        var matches = new List<ModelSummaryResponse>();
        foreach (var model in simulations.VisibleModels())
        {
            if ((typeFilter is { } t && model.Type != t)
                || (protocolFilter is { } p && model.Protocol != p)
                || (search is { Length: > 0 } && !Matches(model, search)))
            {
                continue;
            }

            simulations.TryGetModelSource(model.Id, out var file);
            if (file is not null && !string.Equals(tenant.TenantId, Tenants.Default, StringComparison.Ordinal))
            {
                file = Path.GetFileName(file); // the host's folders are the platform's business
            }

            matches.Add(new ModelSummaryResponse(
                model.Id, model.Name, model.Description, model.Version, Name(model.Type), Name(model.Protocol),
                model.Telemetry.Count, model.Commands.Count, model.Behaviors.Count, file is null ? "api" : "file", file));
        }

        return Results.Ok(paging.Value.Slice(matches));
    }

    private static IResult Get(string id, SimulationOrchestrator simulations, HttpResponse response)
    {
        if (!simulations.TryGetModel(id, out var model))
        {
            return ApiProblems.NotFound($"model '{id}'");
        }

        simulations.TryGetModelSource(id, out var file);
        response.Headers["X-IoTix-Model-Source"] = file is null ? "api" : "file";
        response.Headers[RevisionHeader] = ModelRevisions.Of(model);
        return Results.Json(model, DeviceModelSerializer.Options);
    }

    /// <summary>The revision (<see cref="ModelRevisions"/>) of the model in the answer.</summary>
    public const string RevisionHeader = "X-IoTix-Model-Revision";

    /// <summary>After a PUT: the groups and single devices that still run an older revision (they pick it up when they next start or restart).</summary>
    public const string OutdatedHeader = "X-IoTix-Outdated-Users";

    private static async Task<IResult> Create(HttpRequest request, HttpResponse response, SimulationOrchestrator simulations, CancellationToken cancellationToken)
    {
        var (json, problem) = await ApiJson.ReadTextAsync(request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var result = await simulations.CreateModelAsync(json!, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return ApiProblems.From(result.Error!);
        }

        var model = result.Value!;
        response.Headers[RevisionHeader] = ModelRevisions.Of(model);
        return new LocatedResult($"/api/v1/models/{Uri.EscapeDataString(model.Id)}", Results.Json(model, DeviceModelSerializer.Options, statusCode: StatusCodes.Status201Created));
    }

    private static async Task<IResult> Put(string id, HttpRequest request, HttpResponse response, SimulationOrchestrator simulations, CancellationToken cancellationToken)
    {
        var (json, problem) = await ApiJson.ReadTextAsync(request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var result = await simulations.PutModelAsync(id, json!, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return ApiProblems.From(result.Error!);
        }

        var (model, created) = result.Value;
        response.Headers[RevisionHeader] = ModelRevisions.Of(model);
        response.Headers[OutdatedHeader] = simulations.OutdatedUsers(id).Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var body = Results.Json(model, DeviceModelSerializer.Options, statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
        return created ? new LocatedResult($"/api/v1/models/{Uri.EscapeDataString(id)}", body) : body;
    }

    private static async Task<IResult> Delete(string id, SimulationOrchestrator simulations, CancellationToken cancellationToken)
    {
        var result = await simulations.DeleteModelAsync(id, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? Results.NoContent() : ApiProblems.From(result.Error!);
    }

    private static async Task<IResult> Validate(HttpRequest request, DeviceModelValidator validator, CancellationToken cancellationToken)
    {
        var (json, problem) = await ApiJson.ReadTextAsync(request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var result = validator.Validate(json!);
        var errors = new List<ModelErrorResponse>(result.Errors.Count);
        foreach (var error in result.Errors)
        {
            errors.Add(new ModelErrorResponse(error.Path, error.Message));
        }

        return Results.Ok(new ModelValidationResponse(result.IsValid, result.ModelId, errors));
    }

    private static bool Matches(DeviceModel model, string search) =>
        model.Id.Contains(search, StringComparison.OrdinalIgnoreCase)
        || model.Name.Contains(search, StringComparison.OrdinalIgnoreCase)
        || (model.Description?.Contains(search, StringComparison.OrdinalIgnoreCase) ?? false);

    private static T? ParseEnum<T>(string text, string field, FieldErrors errors)
        where T : struct, Enum
    {
        foreach (var value in Enum.GetValues<T>())
        {
            if (string.Equals(Name(value), text, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        var names = new List<string>();
        foreach (var value in Enum.GetValues<T>())
        {
            names.Add(Name(value));
        }

        errors.Add(field, $"must be one of {string.Join(", ", names)} (was '{text}')");
        return null;
    }

    private static string Name<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();
}

/// <summary>A result with a Location header (for 201/202 answers whose body is not a plain object result).</summary>
internal sealed class LocatedResult(string location, IResult inner) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        httpContext.Response.Headers.Location = location;
        return inner.ExecuteAsync(httpContext);
    }
}
