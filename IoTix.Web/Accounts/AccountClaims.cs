using System.Globalization;
using System.Security.Claims;
using IoTix.Web.Tenancy;

namespace IoTix.Web.Accounts;

/// <summary>The claims every sign-in method (cookie, JWT, API key) puts on the principal: who, tenant, role, platform admin.</summary>
public static class AccountClaims
{
    /// <summary>The subject id: a user id, or <c>key:{id}</c> for an API key.</summary>
    public const string Subject = ClaimTypes.NameIdentifier;

    /// <summary>How the caller authenticated: <c>cookie</c>, <c>jwt</c>, <c>apikey</c>.</summary>
    public const string Method = "iotix:auth_method";

    /// <summary>The <see cref="Method"/> of the console's sign-in cookie.</summary>
    public const string CookieMethod = "cookie";

    /// <summary>The user's security stamp when the principal was made (Identity's claim type); revalidation compares it.</summary>
    public const string SecurityStamp = "AspNet.Identity.SecurityStamp";

    /// <summary>Present ("true") while the user must replace a temporary password (<see cref="IoTixUser.MustChangePassword"/>).</summary>
    public const string MustChangePassword = "iotix:must_change_password";

    internal static List<Claim> For(IoTixUser user, string method)
    {
        ArgumentNullException.ThrowIfNull(user);
        var claims = For(user.Id, user.Email ?? user.UserName ?? user.Id, user.TenantId, user.Role, user.IsPlatformAdmin, method);
        if (method == CookieMethod && user.SecurityStamp is { } stamp) // cookies are encrypted; bearer tokens are readable
        {
            claims.Add(new Claim(SecurityStamp, stamp));
        }

        if (user.MustChangePassword)
        {
            claims.Add(new Claim(MustChangePassword, "true"));
        }

        return claims;
    }

    internal static List<Claim> For(string subject, string name, string tenantId, string role, bool platformAdmin, string method)
    {
        var claims = new List<Claim>
        {
            new(Subject, subject),
            new(ClaimTypes.Name, name),
            new(TenantClaims.Tenant, tenantId),
            new(TenantClaims.Role, role),
            new(Method, method),
        };
        if (platformAdmin)
        {
            claims.Add(new Claim(TenantClaims.PlatformAdmin, "true"));
        }

        return claims;
    }

    /// <summary>"who" for the audit log: the name, else the subject, else "anonymous".</summary>
    public static string Actor(ClaimsPrincipal? user) =>
        user?.Identity?.IsAuthenticated == true ? user.FindFirst(ClaimTypes.Name)?.Value ?? user.FindFirst(Subject)?.Value ?? "unknown" : "anonymous";

    public static string FormatInvariant(DateTimeOffset at) => at.ToString("O", CultureInfo.InvariantCulture);
}
