using System.Security.Claims;
using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace IoTix.Web.Accounts;

/// <summary>A user created, or why not (field -> messages).</summary>
public sealed record UserCreation(IoTixUser? User, IReadOnlyDictionary<string, List<string>> Errors)
{
    public bool Succeeded => User is not null;
}

/// <summary>The users of one tenant, for the user endpoints and the console's Users page.</summary>
public sealed class TenantUsers(UserManager<IoTixUser> users, TimeProvider time)
{
    public async Task<List<IoTixUser>> ListAsync(string tenantId, CancellationToken cancellationToken = default) =>
        await users.Users.AsNoTracking().Where(u => u.TenantId == tenantId).OrderBy(u => u.Email).ToListAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Creates a user of <paramref name="tenantId"/> with a role at most <paramref name="caller"/>'s own.</summary>
    public async Task<UserCreation> CreateAsync(ClaimsPrincipal caller, string tenantId, string? email, string? password, string? role)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(email) || !email.Contains('@', StringComparison.Ordinal))
        {
            Add(errors, "email", "must be an e-mail address");
        }

        if (string.IsNullOrEmpty(password))
        {
            Add(errors, "password", "is required");
        }

        var granted = GrantableRole(caller, role ?? TenantRoles.Viewer, out var roleError);
        if (roleError is not null)
        {
            Add(errors, "role", roleError);
        }

        if (errors.Count > 0)
        {
            return new UserCreation(null, errors);
        }

        var user = new IoTixUser
        {
            UserName = email!.Trim(),
            Email = email.Trim(),
            EmailConfirmed = true,
            TenantId = tenantId,
            Role = granted!,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        var result = await users.CreateAsync(user, password!).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            foreach (var error in result.Errors)
            {
                Add(errors, error.Code.Contains("Password", StringComparison.Ordinal) ? "password" : "email", error.Description);
            }

            return new UserCreation(null, errors);
        }

        return new UserCreation(user, errors);
    }

    /// <summary>The lockout end of a lock "until unlocked" (a date every database stores exactly).</summary>
    public static readonly DateTimeOffset LockedUntilUnlocked = new(9999, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Locks (until unlocked) or unlocks <paramref name="user"/>; locking renews the security stamp so its sign-ins end at the next revalidation.</summary>
    public static async Task SetLockedAsync(UserManager<IoTixUser> users, IoTixUser user, bool locked)
    {
        ArgumentNullException.ThrowIfNull(users);
        await users.SetLockoutEndDateAsync(user, locked ? LockedUntilUnlocked : null).ConfigureAwait(false);
        await users.ResetAccessFailedCountAsync(user).ConfigureAwait(false);
        if (locked)
        {
            await users.UpdateSecurityStampAsync(user).ConfigureAwait(false);
        }
    }

    /// <summary>The canonical role when <paramref name="requested"/> is a role <paramref name="caller"/> may grant (at most its own).</summary>
    public static string? GrantableRole(ClaimsPrincipal caller, string requested, out string? error)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var role = TenantRoles.Parse(requested);
        if (role is null)
        {
            error = $"must be one of {string.Join(", ", TenantRoles.All)} (was '{requested}')";
            return null;
        }

        var own = caller.FindFirst(TenantClaims.Role)?.Value;
        if (TenantRoles.Rank(role) > TenantRoles.Rank(own))
        {
            error = $"cannot grant {role}, above your own role ({own})";
            return null;
        }

        error = null;
        return role;
    }

    private static void Add(Dictionary<string, List<string>> errors, string field, string message)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }

        list.Add(message);
    }
}
