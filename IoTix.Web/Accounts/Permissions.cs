using System.Security.Claims;
using IoTix.Web.Tenancy;

namespace IoTix.Web.Accounts;

/// <summary>The roles a user or API key holds in its tenant.</summary>
public static class TenantRoles
{
    public const string Owner = "Owner";
    public const string Admin = "Admin";
    public const string Operator = "Operator";
    public const string Viewer = "Viewer";

    public static IReadOnlyList<string> All { get; } = [Owner, Admin, Operator, Viewer];

    /// <summary>Owner 4, Admin 3, Operator 2, Viewer 1, unknown 0: a caller grants at most its own rank.</summary>
    public static int Rank(string? role) => role switch
    {
        Owner => 4,
        Admin => 3,
        Operator => 2,
        Viewer => 1,
        _ => 0,
    };

    /// <summary>The role's canonical spelling, or null when <paramref name="role"/> is not a role.</summary>
    public static string? Parse(string? role)
    {
        foreach (var known in All)
        {
            if (string.Equals(known, role, StringComparison.OrdinalIgnoreCase))
            {
                return known;
            }
        }

        return null;
    }
}

/// <summary>
/// Every permission a page, API route, hub or broker admin action declares. The matrix (<see cref="PermissionMatrix"/>)
/// says which role holds which; docs/security.md shows it as a table.
/// </summary>
public static class Permissions
{
    public const string ModelsRead = "models.read";
    public const string ModelsWrite = "models.write";
    public const string SimulationsRead = "simulations.read";
    public const string SimulationsWrite = "simulations.write";
    public const string SimulationsRun = "simulations.run";
    public const string HistoryRead = "history.read";
    public const string HistoryReplay = "history.replay";
    public const string ShadowsRead = "shadows.read";
    public const string ShadowsWrite = "shadows.write";
    public const string RulesRead = "rules.read";
    public const string RulesWrite = "rules.write";
    public const string LiveRead = "live.read";
    public const string BrokerRead = "broker.read";
    public const string BrokerAdmin = "broker.admin";
    public const string SettingsRead = "settings.read";
    public const string SettingsWrite = "settings.write";
    public const string UsersManage = "users.manage";
    public const string ApiKeysManage = "apikeys.manage";
    public const string MqttUsersManage = "mqttusers.manage";
    public const string AuditRead = "audit.read";
    public const string TenantsManage = "tenants.manage";

    /// <summary>Any authenticated caller (e.g. <c>GET /api/v1/auth/me</c>); not a row of the matrix.</summary>
    public const string Authenticated = "authenticated";

    /// <summary>Every permission, in the order of the documented matrix.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        ModelsRead, ModelsWrite, SimulationsRead, SimulationsWrite, SimulationsRun, HistoryRead, HistoryReplay, ShadowsRead, ShadowsWrite,
        RulesRead, RulesWrite, LiveRead, BrokerRead, BrokerAdmin, SettingsRead, SettingsWrite, UsersManage, ApiKeysManage, MqttUsersManage, AuditRead,
        TenantsManage,
    ];

    public static bool IsKnown(string permission)
    {
        if (string.Equals(permission, Authenticated, StringComparison.Ordinal))
        {
            return true;
        }

        foreach (var known in All)
        {
            if (string.Equals(known, permission, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// The permission matrix: what each tenant role holds. A platform administrator holds <see cref="Permissions.TenantsManage"/>
/// on top of the role in their own tenant. The hosted broker (every tenant's clients) is platform-wide: broker.* are held
/// only by roles of the default tenant. <see cref="Permissions.LiveRead"/> is per tenant: each tenant sees its own view
/// of the live metrics (the default tenant the engine-wide one). Everything not listed is denied.
/// </summary>
public static class PermissionMatrix
{
    private static readonly string[] ViewerPermissions =
    [
        Permissions.ModelsRead, Permissions.SimulationsRead, Permissions.HistoryRead, Permissions.ShadowsRead, Permissions.RulesRead,
        Permissions.LiveRead, Permissions.BrokerRead, Permissions.SettingsRead,
    ];

    private static readonly string[] OperatorPermissions = [.. ViewerPermissions, Permissions.SimulationsRun, Permissions.HistoryReplay, Permissions.ShadowsWrite];

    private static readonly string[] AdminPermissions =
    [
        .. OperatorPermissions, Permissions.ModelsWrite, Permissions.SimulationsWrite, Permissions.RulesWrite, Permissions.BrokerAdmin,
        Permissions.SettingsWrite, Permissions.UsersManage, Permissions.ApiKeysManage, Permissions.MqttUsersManage, Permissions.AuditRead,
    ];

    private static readonly Dictionary<string, HashSet<string>> ByRole = new(StringComparer.Ordinal)
    {
        [TenantRoles.Owner] = new(AdminPermissions, StringComparer.Ordinal),
        [TenantRoles.Admin] = new(AdminPermissions, StringComparer.Ordinal),
        [TenantRoles.Operator] = new(OperatorPermissions, StringComparer.Ordinal),
        [TenantRoles.Viewer] = new(ViewerPermissions, StringComparer.Ordinal),
    };

    /// <summary>True when <paramref name="role"/> (a tenant role) holds <paramref name="permission"/>.</summary>
    public static bool RoleHas(string? role, string permission) =>
        role is not null && ByRole.TryGetValue(role, out var granted) && granted.Contains(permission);

    /// <summary>True when the authenticated <paramref name="user"/> holds <paramref name="permission"/>.</summary>
    public static bool Allows(ClaimsPrincipal user, string permission)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.Identity?.IsAuthenticated != true)
        {
            return false;
        }

        if (string.Equals(permission, Permissions.Authenticated, StringComparison.Ordinal))
        {
            return true;
        }

        if (MustChangePassword(user))
        {
            return false; // a temporary password grants nothing but changing it (/account/password)
        }

        if (string.Equals(permission, Permissions.TenantsManage, StringComparison.Ordinal))
        {
            return IsPlatformAdmin(user);
        }

        if (IsPlatformWide(permission) && !string.Equals(TenantClaims.TenantOf(user), Tenants.Default, StringComparison.Ordinal))
        {
            return false;
        }

        return RoleHas(user.FindFirst(TenantClaims.Role)?.Value, permission);
    }

    /// <summary>Permissions over data of every tenant (the hosted broker): default-tenant roles only.</summary>
    public static bool IsPlatformWide(string permission) =>
        permission is Permissions.BrokerRead or Permissions.BrokerAdmin;

    /// <summary>True while the (cookie) sign-in rests on a temporary password an administrator set (<see cref="AccountClaims.MustChangePassword"/>).</summary>
    public static bool MustChangePassword(ClaimsPrincipal user) => user?.FindFirst(AccountClaims.MustChangePassword) is not null;

    public static bool IsPlatformAdmin(ClaimsPrincipal user) =>
        string.Equals(user?.FindFirst(TenantClaims.PlatformAdmin)?.Value, "true", StringComparison.Ordinal);
}
