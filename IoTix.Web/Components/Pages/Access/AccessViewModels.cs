using System.Security.Claims;
using IoTix.Web.Accounts;
using IoTix.Web.Audit;
using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.Identity;

namespace IoTix.Web.Components.Pages.Access;

/// <summary>The Users page's state: the signed-in user's tenant's users; create with a role, change a role, reset a password, lock.</summary>
/// <param name="remoteIp">Where the caller's browser connects from (the circuit's remote IP), for the audit log.</param>
public sealed class UsersViewModel(IServiceScopeFactory scopes, ClaimsPrincipal caller, string? remoteIp = null)
{
    private readonly string _tenant = TenantClaims.TenantOf(caller) ?? Tenants.Default;

    public IReadOnlyList<IoTixUser> Users { get; private set; } = [];

    /// <summary>The roles the caller may grant (at most its own).</summary>
    public IReadOnlyList<string> GrantableRoles { get; } = Grantable(caller);

    public async Task LoadAsync()
    {
        await using var scope = scopes.CreateAsyncScope();
        Users = await scope.ServiceProvider.GetRequiredService<TenantUsers>().ListAsync(_tenant);
    }

    /// <summary>Null when created; else every reason in words.</summary>
    public async Task<string?> CreateAsync(string? email, string? password, string? role)
    {
        await using var scope = scopes.CreateAsyncScope();
        var created = await scope.ServiceProvider.GetRequiredService<TenantUsers>().CreateAsync(caller, _tenant, email, password, role);
        if (!created.Succeeded)
        {
            return string.Join("; ", created.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key} {m}")));
        }

        await AuditAsync("console.user.create", email!, $"role {created.User!.Role}");
        await LoadAsync();
        return null;
    }

    public async Task<string?> SetRoleAsync(string userId, string role)
    {
        var granted = TenantUsers.GrantableRole(caller, role, out var error);
        if (granted is null)
        {
            return error;
        }

        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IoTixUser>>();
        var user = await users.FindByIdAsync(userId);
        if (user is null || user.TenantId != _tenant)
        {
            return "no such user";
        }

        var before = user.Role;
        user.Role = granted;
        await users.UpdateAsync(user);
        await users.UpdateSecurityStampAsync(user);
        await AuditAsync("console.user.role", user.Email ?? userId, $"{before} -> {granted}");
        await LoadAsync();
        return null;
    }

    /// <summary>The user's one-time temporary password (to show once), or the reason it was not reset.</summary>
    public async Task<PasswordResetResult> ResetPasswordAsync(string userId)
    {
        await using var scope = scopes.CreateAsyncScope();
        var reset = await scope.ServiceProvider.GetRequiredService<AccountPasswords>().ResetAsync(caller, userId, remoteIp);
        await LoadAsync();
        return reset;
    }

    /// <summary>Locks (until unlocked; the user's sign-ins end at the next revalidation) or unlocks a user of the tenant; null when done, else why not.</summary>
    public async Task<string?> SetLockedAsync(string userId, bool locked)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IoTixUser>>();
        var user = await users.FindByIdAsync(userId);
        if (user is null || user.TenantId != _tenant)
        {
            return "no such user";
        }

        if (locked && (user.Id == caller.FindFirst(AccountClaims.Subject)?.Value || TenantRoles.Rank(user.Role) > TenantRoles.Rank(caller.FindFirst(TenantClaims.Role)?.Value)))
        {
            return "you can lock only other users with a role at most your own";
        }

        await TenantUsers.SetLockedAsync(users, user, locked);
        await AuditAsync(locked ? "console.user.lock" : "console.user.unlock", user.Email ?? userId, null);
        await LoadAsync();
        return null;
    }

    private async Task AuditAsync(string action, string target, string? details)
    {
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IAuditLog>().WriteAsync(new AuditEntry(_tenant, AccountClaims.Actor(caller), action, target, AuditOutcomes.Success, null, remoteIp, details));
    }

    internal static List<string> Grantable(ClaimsPrincipal caller)
    {
        var own = TenantRoles.Rank(caller.FindFirst(TenantClaims.Role)?.Value);
        var roles = new List<string>();
        foreach (var role in TenantRoles.All)
        {
            if (TenantRoles.Rank(role) <= own)
            {
                roles.Add(role);
            }
        }

        return roles;
    }
}

/// <summary>The API keys page's state: the tenant's keys; create (the key shown once), revoke.</summary>
public sealed class ApiKeysViewModel(ApiKeyService keys, IAuditLog audit, ClaimsPrincipal caller)
{
    private readonly string _tenant = TenantClaims.TenantOf(caller) ?? Tenants.Default;

    public IReadOnlyList<ApiKeyRecord> Keys { get; private set; } = [];

    public IReadOnlyList<string> GrantableRoles { get; } = UsersViewModel.Grantable(caller);

    /// <summary>The key just created: shown once, gone on the next load.</summary>
    public string? CreatedKey { get; private set; }

    public async Task LoadAsync()
    {
        using var scope = TenantScope.Enter(_tenant);
        Keys = await keys.ListAsync();
    }

    public async Task<string?> CreateAsync(string? name, string role, DateTimeOffset? expiresAt)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "name is required";
        }

        if (TenantUsers.GrantableRole(caller, role, out var error) is not { } granted)
        {
            return error;
        }

        using (TenantScope.Enter(_tenant))
        {
            var created = await keys.CreateAsync(name.Trim(), granted, expiresAt, AccountClaims.Actor(caller));
            CreatedKey = created.Key;
        }

        await audit.WriteAsync(new AuditEntry(_tenant, AccountClaims.Actor(caller), "console.apikey.create", name, AuditOutcomes.Success, null, null, $"role {granted}"));
        await LoadAsync();
        return null;
    }

    public async Task RevokeAsync(string id)
    {
        using (TenantScope.Enter(_tenant))
        {
            await keys.RevokeAsync(id);
        }

        await audit.WriteAsync(new AuditEntry(_tenant, AccountClaims.Actor(caller), "console.apikey.revoke", id, AuditOutcomes.Success));
        CreatedKey = null;
        await LoadAsync();
    }
}

/// <summary>The audit page's state: filters and the matching entries of the tenant, newest first.</summary>
public sealed class AuditViewModel(IAuditLog audit, ClaimsPrincipal caller)
{
    private readonly string _tenant = TenantClaims.TenantOf(caller) ?? Tenants.Default;

    public string? Actor { get; set; }

    public string? Action { get; set; }

    public string? Outcome { get; set; }

    public IReadOnlyList<AuditRecord> Entries { get; private set; } = [];

    public async Task LoadAsync()
    {
        using var scope = TenantScope.Enter(_tenant);
        Entries = await audit.QueryAsync(new AuditQuery(Actor, Action, Outcome, Limit: 500));
    }

    /// <summary>The export URL with the current filters (<c>csv</c> or <c>json</c>).</summary>
    public string ExportUrl(string format)
    {
        var query = new List<string> { $"format={format}" };
        foreach (var (key, value) in (ReadOnlySpan<(string, string?)>)[("actor", Actor), ("action", Action), ("outcome", Outcome)])
        {
            if (!string.IsNullOrEmpty(value))
            {
                query.Add($"{key}={Uri.EscapeDataString(value)}");
            }
        }

        return "api/v1/audit/export?" + string.Join('&', query);
    }
}
