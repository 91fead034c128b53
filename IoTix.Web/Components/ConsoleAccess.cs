using System.Security.Claims;
using IoTix.Web.Accounts;
using Microsoft.AspNetCore.Components.Authorization;

namespace IoTix.Web.Components;

/// <summary>What the signed-in console user may do on a page: write controls are shown disabled without the permission.</summary>
public static class ConsoleAccess
{
    /// <summary>True when the cascaded user holds <paramref name="permission"/>; false without an authentication state.</summary>
    public static async Task<bool> AllowsAsync(Task<AuthenticationState>? authentication, string permission)
    {
        if (authentication is null)
        {
            return false;
        }

        ClaimsPrincipal user = (await authentication.ConfigureAwait(false)).User;
        return PermissionMatrix.Allows(user, permission);
    }

    /// <summary>The cascaded user's tenant; the default tenant without an authentication state or tenant claim.</summary>
    public static async Task<string> TenantAsync(Task<AuthenticationState>? authentication)
    {
        if (authentication is null)
        {
            return Tenancy.Tenants.Default;
        }

        ClaimsPrincipal user = (await authentication.ConfigureAwait(false)).User;
        return Tenancy.TenantClaims.TenantOf(user) ?? Tenancy.Tenants.Default;
    }
}
