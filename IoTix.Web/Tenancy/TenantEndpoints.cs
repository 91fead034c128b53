using IoTix.Web.Accounts;
using IoTix.Web.Api;
using IoTix.Web.Audit;

namespace IoTix.Web.Tenancy;

/// <summary>Body of <c>POST /api/v1/tenants</c> and <c>PUT /api/v1/tenants/{id}</c>.</summary>
public sealed class TenantRequest
{
    /// <summary>Lower-case letters, digits and '-', 2 to 64 characters (create only).</summary>
    public string? Id { get; set; }

    public string? Name { get; set; }

    public int? MaxDevices { get; set; }

    public int? MaxGroups { get; set; }

    public int? MaxMessagesPerSecond { get; set; }

    public int? HistoryRetentionDays { get; set; }

    /// <summary>The tenant's first Owner (create only, optional).</summary>
    public string? OwnerEmail { get; set; }

    public string? OwnerPassword { get; set; }
}

public sealed record TenantResponse(string Id, string Name, int MaxDevices, int MaxGroups, int MaxMessagesPerSecond, int HistoryRetentionDays, DateTimeOffset CreatedAt);

/// <summary><c>/api/v1/tenants</c>: tenants and their quotas (platform administrators: tenants.manage).</summary>
internal static class TenantEndpoints
{
    public static void MapTenants(this RouteGroupBuilder api)
    {
        var tenants = api.MapGroup("/tenants").WithTags("Tenants");
        tenants.MapGet("/", List).RequirePermission(Permissions.TenantsManage).WithSummary("List tenants with their effective quotas").Produces<IReadOnlyList<TenantResponse>>();
        tenants.MapGet("/{id}", Get).RequirePermission(Permissions.TenantsManage).WithSummary("Get a tenant").Produces<TenantResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        tenants.MapPost("/", Create).RequirePermission(Permissions.TenantsManage)
            .WithSummary("Create a tenant (quotas optional: IoTix:Tenancy:DefaultQuotas apply) and optionally its first Owner")
            .Accepts<TenantRequest>("application/json")
            .Produces<TenantResponse>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);
        tenants.MapPut("/{id}", Update).RequirePermission(Permissions.TenantsManage)
            .WithSummary("Change a tenant's name and quotas (null: the default)")
            .Accepts<TenantRequest>("application/json")
            .Produces<TenantResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> List(TenantAdministration tenants, CancellationToken cancellationToken) =>
        Results.Ok(await tenants.ListAsync(cancellationToken).ConfigureAwait(false));

    private static async Task<IResult> Get(string id, TenantAdministration tenants, CancellationToken cancellationToken) =>
        await tenants.GetAsync(id, cancellationToken).ConfigureAwait(false) is { } tenant ? Results.Ok(tenant) : ApiProblems.NotFound($"tenant '{id}'");

    private static async Task<IResult> Create(HttpContext http, TenantAdministration tenants, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<TenantRequest>(http.Request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var change = await tenants.CreateAsync(body!, cancellationToken).ConfigureAwait(false);
        return change.Code == TenantChangeCode.Ok ? Results.Created($"/api/v1/tenants/{change.Tenant!.Id}", change.Tenant) : ToProblem(change, body!.Id ?? "");
    }

    private static async Task<IResult> Update(string id, HttpContext http, TenantAdministration tenants, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<TenantRequest>(http.Request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var change = await tenants.UpdateAsync(id, body!, cancellationToken).ConfigureAwait(false);
        if (change is { Before: { } before, Tenant: { } after })
        {
            http.SetAuditDetails(TenantAdministration.Describe(before, after));
        }

        return change.Code == TenantChangeCode.Ok ? Results.Ok(change.Tenant) : ToProblem(change, id);
    }

    private static IResult ToProblem(TenantChange change, string id) => change.Code switch
    {
        TenantChangeCode.NotFound => ApiProblems.NotFound($"tenant '{id}'"),
        TenantChangeCode.Conflict => Results.Problem(change.Message, statusCode: StatusCodes.Status409Conflict, title: "Conflict"),
        _ => ApiProblems.Invalid(change.Errors, change.Message),
    };
}
