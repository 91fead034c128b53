using System.Security.Claims;

namespace IoTix.Web.Tenancy;

/// <summary>
/// The tenant the current caller acts for (a request, a console circuit, a background job on a tenant's behalf).
/// Stores and endpoints ask it instead of reading claims themselves.
/// </summary>
public interface ITenantContext
{
    /// <summary>The current tenant's id.</summary>
    string TenantId { get; }
}

/// <summary>
/// The caller's tenant: the <see cref="TenantClaims.Tenant"/> claim of the request's authenticated principal, else
/// the ambient <see cref="TenantScope"/> (console circuits, background work), else <see cref="Tenants.Default"/>.
/// </summary>
internal sealed class PrincipalTenantContext(IHttpContextAccessor accessor) : ITenantContext
{
    public string TenantId =>
        accessor.HttpContext?.User is { Identity.IsAuthenticated: true } user && TenantClaims.TenantOf(user) is { } tenant
            ? tenant
            : TenantScope.Current;
}

/// <summary>Claim types of the tenancy model.</summary>
public static class TenantClaims
{
    /// <summary>The caller's tenant id.</summary>
    public const string Tenant = "iotix:tenant";

    /// <summary>The caller's role in that tenant (<c>Owner</c>, <c>Admin</c>, <c>Operator</c>, <c>Viewer</c>).</summary>
    public const string Role = ClaimTypes.Role;

    /// <summary>Present ("true") for a platform administrator (manages tenants).</summary>
    public const string PlatformAdmin = "iotix:platform_admin";

    public static string? TenantOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.FindFirst(Tenant)?.Value;
    }
}
