using IoTix.Web.Api;
using IoTix.Web.Audit;
using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.Identity;

namespace IoTix.Web.Accounts;

/// <summary>Body of <c>POST /api/v1/users</c>.</summary>
public sealed class CreateUserRequest
{
    public string? Email { get; set; }

    public string? Password { get; set; }

    /// <summary>Owner, Admin, Operator or Viewer; at most the caller's own role.</summary>
    public string? Role { get; set; }
}

/// <summary>Body of <c>PUT /api/v1/users/{id}</c>.</summary>
public sealed class UpdateUserRequest
{
    public string? Role { get; set; }

    /// <summary>True locks the account until unlocked (its sign-ins end within IoTix:Accounts:RevalidationMinutes); false unlocks it.</summary>
    public bool? Locked { get; set; }
}

/// <summary>Answer of <c>POST /api/v1/users/{id}/reset-password</c>: the one-time temporary password, shown once.</summary>
public sealed record PasswordResetResponse(string Email, string TemporaryPassword, bool MustChangePassword);

public sealed record UserResponse(string Id, string Email, string TenantId, string Role, bool PlatformAdmin, bool LockedOut, DateTimeOffset CreatedAt);

/// <summary><c>/api/v1/users</c>: the users of the caller's tenant (users.manage); another tenant's user answers 404.</summary>
internal static class UserEndpoints
{
    public static void MapUsers(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Users");
        users.MapGet("/", List).RequirePermission(Permissions.UsersManage).WithSummary("List the tenant's users").Produces<IReadOnlyList<UserResponse>>();
        users.MapGet("/{id}", Get).RequirePermission(Permissions.UsersManage).WithSummary("Get a user of the tenant").Produces<UserResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        users.MapPost("/", Create).RequirePermission(Permissions.UsersManage)
            .WithSummary("Create a user in the tenant with a role (password rules: IoTix:Accounts:PasswordMinLength)")
            .Accepts<CreateUserRequest>("application/json")
            .Produces<UserResponse>(StatusCodes.Status201Created)
            .ProducesValidationProblem();
        users.MapPut("/{id}", Update).RequirePermission(Permissions.UsersManage)
            .WithSummary("Change a user's role, lock or unlock it")
            .Accepts<UpdateUserRequest>("application/json")
            .Produces<UserResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        users.MapPost("/{id}/reset-password", ResetPassword).RequirePermission(Permissions.UsersManage)
            .WithSummary("Reset a user's password to a one-time temporary one (shown once) that must be changed at the next sign-in")
            .Produces<PasswordResetResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesValidationProblem();
        users.MapDelete("/{id}", Delete).RequirePermission(Permissions.UsersManage)
            .WithSummary("Delete a user of the tenant")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> List(TenantUsers users, ITenantContext tenant, TimeProvider time, CancellationToken cancellationToken)
    {
        var list = await users.ListAsync(tenant.TenantId, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        return Results.Ok(list.ConvertAll(u => ToResponse(u, now)));
    }

    private static async Task<IResult> Get(string id, UserManager<IoTixUser> users, ITenantContext tenant, TimeProvider time) =>
        await FindAsync(id, users, tenant).ConfigureAwait(false) is { } user ? Results.Ok(ToResponse(user, time.GetUtcNow())) : ApiProblems.NotFound($"user '{id}'");

    private static async Task<IResult> Create(HttpContext http, TenantUsers users, ITenantContext tenant, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<CreateUserRequest>(http.Request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var created = await users.CreateAsync(http.User, tenant.TenantId, body!.Email, body.Password, body.Role).ConfigureAwait(false);
        if (!created.Succeeded)
        {
            var errors = new FieldErrors();
            foreach (var (field, messages) in created.Errors)
            {
                foreach (var message in messages)
                {
                    errors.Add(field, message);
                }
            }

            return ApiProblems.Invalid(errors);
        }

        return Results.Created($"/api/v1/users/{created.User!.Id}", ToResponse(created.User, time.GetUtcNow()));
    }

    private static async Task<IResult> Update(string id, HttpContext http, UserManager<IoTixUser> users, ITenantContext tenant, TimeProvider time, CancellationToken cancellationToken)
    {
        var user = await FindAsync(id, users, tenant).ConfigureAwait(false);
        if (user is null)
        {
            return ApiProblems.NotFound($"user '{id}'");
        }

        var (body, problem) = await ApiJson.ReadAsync<UpdateUserRequest>(http.Request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new FieldErrors();
        if (body!.Role is { } requested && AccountRules.CheckGrantedRole(http.User, requested, errors) is { } role)
        {
            http.SetAuditDetails($"role {user.Role} -> {role}");
            user.Role = role;
            await users.UpdateAsync(user).ConfigureAwait(false);
            await users.UpdateSecurityStampAsync(user).ConfigureAwait(false);
        }

        if (errors.Any)
        {
            return ApiProblems.Invalid(errors);
        }

        if (body.Locked is { } locked)
        {
            await TenantUsers.SetLockedAsync(users, user, locked).ConfigureAwait(false);
        }

        return Results.Ok(ToResponse(user, time.GetUtcNow()));
    }

    private static async Task<IResult> ResetPassword(string id, HttpContext http, AccountPasswords passwords, CancellationToken cancellationToken)
    {
        var reset = await passwords.ResetAsync(http.User, id, http.Connection.RemoteIpAddress?.ToString(), cancellationToken).ConfigureAwait(false);
        if (reset.Succeeded)
        {
            return Results.Ok(new PasswordResetResponse(reset.Email ?? "", reset.TemporaryPassword!, true));
        }

        if (reset.Email is null)
        {
            return ApiProblems.NotFound($"user '{id}'");
        }

        var errors = new FieldErrors();
        errors.Add("id", reset.Error!);
        return ApiProblems.Invalid(errors);
    }

    private static async Task<IResult> Delete(string id, UserManager<IoTixUser> users, ITenantContext tenant)
    {
        var user = await FindAsync(id, users, tenant).ConfigureAwait(false);
        if (user is null)
        {
            return ApiProblems.NotFound($"user '{id}'");
        }

        await users.DeleteAsync(user).ConfigureAwait(false);
        return Results.NoContent();
    }

    private static async Task<IoTixUser?> FindAsync(string id, UserManager<IoTixUser> users, ITenantContext tenant)
    {
        var user = await users.FindByIdAsync(id).ConfigureAwait(false);
        return user is not null && string.Equals(user.TenantId, tenant.TenantId, StringComparison.Ordinal) ? user : null;
    }

    internal static UserResponse ToResponse(IoTixUser u, DateTimeOffset now) => new(
        u.Id, u.Email ?? "", u.TenantId, u.Role, u.IsPlatformAdmin, u.LockoutEnd is { } end && end > now, new DateTimeOffset(DateTime.SpecifyKind(u.CreatedAt, DateTimeKind.Utc)));
}
