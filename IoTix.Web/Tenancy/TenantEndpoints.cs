using System.Text.RegularExpressions;
using IoTix.Web.Accounts;
using IoTix.Web.Api;
using Microsoft.AspNetCore.Identity;

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
internal static partial class TenantEndpoints
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

    private static async Task<IResult> List(TenantDirectory directory, CancellationToken cancellationToken)
    {
        var list = new List<TenantResponse>();
        foreach (var tenant in await directory.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(await ToResponseAsync(tenant, directory, cancellationToken).ConfigureAwait(false));
        }

        return Results.Ok(list);
    }

    private static async Task<IResult> Get(string id, TenantDirectory directory, CancellationToken cancellationToken) =>
        await directory.FindAsync(id, cancellationToken).ConfigureAwait(false) is { } tenant
            ? Results.Ok(await ToResponseAsync(tenant, directory, cancellationToken).ConfigureAwait(false))
            : ApiProblems.NotFound($"tenant '{id}'");

    private static async Task<IResult> Create(HttpContext http, TenantDirectory directory, UserManager<IoTixUser> users, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<TenantRequest>(http.Request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new FieldErrors();
        if (body!.Id is null || !TenantId().IsMatch(body.Id))
        {
            errors.Add("id", "must be 2 to 64 lower-case letters, digits or '-', starting with a letter");
        }

        CheckQuotas(body, errors);
        if ((body.OwnerEmail is null) != (body.OwnerPassword is null))
        {
            errors.Add("ownerEmail", "ownerEmail and ownerPassword go together");
        }

        if (errors.Any)
        {
            return ApiProblems.Invalid(errors);
        }

        var tenant = new TenantRecord { Id = body.Id!, Name = body.Name ?? body.Id!, MaxDevices = body.MaxDevices, MaxGroups = body.MaxGroups, MaxMessagesPerSecond = body.MaxMessagesPerSecond, HistoryRetentionDays = body.HistoryRetentionDays };
        if (!await directory.TryAddAsync(tenant, cancellationToken).ConfigureAwait(false))
        {
            return Results.Problem($"tenant '{tenant.Id}' already exists", statusCode: StatusCodes.Status409Conflict, title: "Conflict");
        }

        if (body.OwnerEmail is { } email)
        {
            var owner = new IoTixUser { UserName = email, Email = email, EmailConfirmed = true, TenantId = tenant.Id, Role = TenantRoles.Owner, CreatedAt = time.GetUtcNow().UtcDateTime };
            var created = await users.CreateAsync(owner, body.OwnerPassword!).ConfigureAwait(false);
            if (!created.Succeeded)
            {
                foreach (var error in created.Errors)
                {
                    errors.Add(error.Code.Contains("Password", StringComparison.Ordinal) ? "ownerPassword" : "ownerEmail", error.Description);
                }

                return ApiProblems.Invalid(errors, $"tenant '{tenant.Id}' was created, its owner was not: {errors.Summary()}");
            }
        }

        return Results.Created($"/api/v1/tenants/{tenant.Id}", await ToResponseAsync(tenant, directory, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> Update(string id, HttpContext http, TenantDirectory directory, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<TenantRequest>(http.Request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new FieldErrors();
        CheckQuotas(body!, errors);
        if (errors.Any)
        {
            return ApiProblems.Invalid(errors);
        }

        var updated = await directory.UpdateAsync(id, t =>
        {
            t.Name = body!.Name ?? t.Name;
            t.MaxDevices = body.MaxDevices;
            t.MaxGroups = body.MaxGroups;
            t.MaxMessagesPerSecond = body.MaxMessagesPerSecond;
            t.HistoryRetentionDays = body.HistoryRetentionDays;
        }, cancellationToken).ConfigureAwait(false);
        return updated is null ? ApiProblems.NotFound($"tenant '{id}'") : Results.Ok(await ToResponseAsync(updated, directory, cancellationToken).ConfigureAwait(false));
    }

    private static void CheckQuotas(TenantRequest body, FieldErrors errors)
    {
        foreach (var (field, value) in (ReadOnlySpan<(string, int?)>)[("maxDevices", body.MaxDevices), ("maxGroups", body.MaxGroups), ("maxMessagesPerSecond", body.MaxMessagesPerSecond), ("historyRetentionDays", body.HistoryRetentionDays)])
        {
            if (value is < 1)
            {
                errors.Add(field, $"must be at least 1 (was {value})");
            }
        }
    }

    private static async Task<TenantResponse> ToResponseAsync(TenantRecord tenant, TenantDirectory directory, CancellationToken cancellationToken)
    {
        var q = await directory.QuotasAsync(tenant.Id, cancellationToken).ConfigureAwait(false);
        return new TenantResponse(tenant.Id, tenant.Name, q.MaxDevices, q.MaxGroups, q.MaxMessagesPerSecond, q.HistoryRetentionDays, new DateTimeOffset(DateTime.SpecifyKind(tenant.CreatedAt, DateTimeKind.Utc)));
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{1,63}$")]
    private static partial Regex TenantId();
}
