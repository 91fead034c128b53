using IoTix.Web.Api;

namespace IoTix.Web.Accounts;

/// <summary>Body of <c>POST /api/v1/api-keys</c>.</summary>
public sealed class CreateApiKeyRequest
{
    /// <summary>What the key is for (required).</summary>
    public string? Name { get; set; }

    /// <summary>Owner, Admin, Operator or Viewer; at most the caller's own role (default Viewer).</summary>
    public string? Role { get; set; }

    /// <summary>When the key stops working (UTC); null: never.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
}

/// <summary>A key as listed (never the key itself).</summary>
public sealed record ApiKeyResponse(string Id, string Name, string Prefix, string Role, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt);

/// <summary>A new key: <see cref="Key"/> is shown this once.</summary>
public sealed record CreatedApiKeyResponse(string Id, string Name, string Key, string Role, DateTimeOffset? ExpiresAt);

/// <summary><c>/api/v1/api-keys</c>: the caller's tenant's API keys (apikeys.manage).</summary>
internal static class ApiKeyEndpoints
{
    public static void MapApiKeys(this RouteGroupBuilder api)
    {
        var keys = api.MapGroup("/api-keys").WithTags("API keys");
        keys.MapGet("/", List).RequirePermission(Permissions.ApiKeysManage)
            .WithSummary("List the tenant's API keys (never the keys themselves)")
            .Produces<IReadOnlyList<ApiKeyResponse>>();
        keys.MapPost("/", Create).RequirePermission(Permissions.ApiKeysManage)
            .WithSummary("Create an API key for the tenant with a role and optional expiry; the key is in this answer only")
            .Accepts<CreateApiKeyRequest>("application/json")
            .Produces<CreatedApiKeyResponse>(StatusCodes.Status201Created)
            .ProducesValidationProblem();
        keys.MapDelete("/{id}", Revoke).RequirePermission(Permissions.ApiKeysManage)
            .WithSummary("Revoke an API key (it stops working at once)")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> List(ApiKeyService keys, CancellationToken cancellationToken)
    {
        var list = await keys.ListAsync(cancellationToken).ConfigureAwait(false);
        return Results.Ok(list.Select(ToResponse).ToList());
    }

    private static async Task<IResult> Create(HttpContext http, ApiKeyService keys, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<CreateApiKeyRequest>(http.Request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(body!.Name) || body.Name.Length > 200)
        {
            errors.Add("name", "is required (1 to 200 characters)");
        }

        var role = AccountRules.CheckGrantedRole(http.User, body.Role ?? TenantRoles.Viewer, errors);
        if (body.ExpiresAt is { } expires && expires <= time.GetUtcNow())
        {
            errors.Add("expiresAt", "must be in the future");
        }

        if (errors.Any)
        {
            return ApiProblems.Invalid(errors);
        }

        var created = await keys.CreateAsync(body.Name!.Trim(), role!, body.ExpiresAt, AccountClaims.Actor(http.User), cancellationToken).ConfigureAwait(false);
        var r = created.Record;
        return Results.Created($"/api/v1/api-keys/{r.Id}", new CreatedApiKeyResponse(r.Id, r.Name, created.Key, r.Role, Utc(r.ExpiresAt)));
    }

    private static async Task<IResult> Revoke(string id, ApiKeyService keys, CancellationToken cancellationToken) =>
        await keys.RevokeAsync(id, cancellationToken).ConfigureAwait(false) is null ? ApiProblems.NotFound($"API key '{id}'") : Results.NoContent();

    internal static ApiKeyResponse ToResponse(ApiKeyRecord r) =>
        new(r.Id, r.Name, r.Prefix, r.Role, r.CreatedBy, new DateTimeOffset(r.CreatedAt, TimeSpan.Zero), Utc(r.ExpiresAt), Utc(r.RevokedAt));

    private static DateTimeOffset? Utc(DateTime? at) => at is { } value ? new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc)) : null;
}

/// <summary>Rules shared by the user and key endpoints.</summary>
internal static class AccountRules
{
    /// <summary>The canonical role when <paramref name="requested"/> is a role the caller may grant (at most its own); else adds an error.</summary>
    public static string? CheckGrantedRole(System.Security.Claims.ClaimsPrincipal caller, string requested, FieldErrors errors)
    {
        var role = TenantUsers.GrantableRole(caller, requested, out var error);
        if (error is not null)
        {
            errors.Add("role", error);
        }

        return role;
    }
}
