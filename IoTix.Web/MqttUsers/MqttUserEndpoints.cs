using IoTix.Web.Accounts;
using IoTix.Web.Api;
using IoTix.Web.Tenancy;

namespace IoTix.Web.MqttUsers;

/// <summary>Body of <c>POST /api/v1/mqtt-users</c>.</summary>
public sealed class CreateMqttUserRequest
{
    /// <summary>1 to 64 letters, digits, '.', '_' or '-'; the MQTT user name is <c>{tenant}/{name}</c>.</summary>
    public string? Name { get; set; }

    /// <summary>12 to 256 characters; omitted: a generated one, in the answer only.</summary>
    public string? Password { get; set; }
}

/// <summary>A user as listed (never its password). <see cref="ClientIdPrefix"/> is what its client ids and topics must start with (null: default tenant, not confined).</summary>
public sealed record MqttUserResponse(string Id, string Name, string Username, string? ClientIdPrefix, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>A new user: <see cref="Password"/> is the generated password, shown this once (null when the caller chose it).</summary>
public sealed record CreatedMqttUserResponse(string Id, string Name, string Username, string? Password, string? ClientIdPrefix, DateTimeOffset CreatedAt);

/// <summary><c>/api/v1/mqtt-users</c>: the caller's tenant's MQTT users (mqttusers.manage).</summary>
internal static class MqttUserEndpoints
{
    public static void MapMqttUsers(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/mqtt-users").WithTags("MQTT users");
        users.MapGet("/", List).RequirePermission(Permissions.MqttUsersManage)
            .WithSummary("List the tenant's MQTT users (never their passwords)")
            .Produces<IReadOnlyList<MqttUserResponse>>()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        users.MapPost("/", Create).RequirePermission(Permissions.MqttUsersManage)
            .WithSummary("Create an MQTT user of the tenant: user name {tenant}/{name}; without a password one is generated and returned this once")
            .WithDescription("A non-default tenant's user may only connect with a client id under tenants/{tenant}/ (else CONNACK 0x85) and only publish and subscribe under tenants/{tenant}/.")
            .Accepts<CreateMqttUserRequest>("application/json")
            .Produces<CreatedMqttUserResponse>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        users.MapDelete("/{id}", Revoke).RequirePermission(Permissions.MqttUsersManage)
            .WithSummary("Revoke an MQTT user: refused from the next CONNECT on, its open connections are dropped (DISCONNECT 0x98)")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> List(MqttUserService users, ITenantContext tenant, CancellationToken cancellationToken)
    {
        var list = await users.ListAsync(tenant.TenantId, cancellationToken).ConfigureAwait(false);
        if (list is null)
        {
            return RegistryEndpoints.Unavailable();
        }

        var result = new List<MqttUserResponse>(list.Count);
        foreach (var user in list)
        {
            result.Add(ToResponse(user));
        }

        return Results.Ok(result);
    }

    private static async Task<IResult> Create(HttpContext http, MqttUserService users, ITenantContext tenant, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<CreateMqttUserRequest>(http.Request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var result = await users.CreateAsync(tenant.TenantId, body!.Name, body.Password, AccountClaims.Actor(http.User), cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return Problem(result);
        }

        var user = result.User!;
        return Results.Created(
            $"{ApiEndpoints.Prefix}/mqtt-users/{user.Id}",
            new CreatedMqttUserResponse(user.Id, user.Name, user.Username, result.GeneratedPassword, MqttUserService.ClientIdPrefixOf(user.TenantId), Utc(user.CreatedAt)));
    }

    private static async Task<IResult> Revoke(string id, MqttUserService users, ITenantContext tenant, CancellationToken cancellationToken)
    {
        var result = await users.RevokeAsync(tenant.TenantId, id, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? Results.NoContent() : Problem(result);
    }

    private static IResult Problem(MqttUserResult result)
    {
        switch (result.Error)
        {
            case MqttUserError.NotFound:
                return ApiProblems.NotFound(result.Message.Replace(" not found", "", StringComparison.Ordinal));
            case MqttUserError.AlreadyExists:
                return Results.Problem(result.Message, statusCode: StatusCodes.Status409Conflict, title: "Conflict", extensions: RegistryEndpoints.Code("alreadyExists"));
            case MqttUserError.Unavailable:
                return RegistryEndpoints.Unavailable();
            default:
                var errors = new FieldErrors();
                errors.Add(result.Field, result.Message);
                return ApiProblems.Invalid(errors);
        }
    }

    internal static MqttUserResponse ToResponse(MqttUserRecord user) =>
        new(user.Id, user.Name, user.Username, MqttUserService.ClientIdPrefixOf(user.TenantId), user.CreatedBy, Utc(user.CreatedAt));

    private static DateTimeOffset Utc(DateTime at) => new(DateTime.SpecifyKind(at, DateTimeKind.Utc));
}
