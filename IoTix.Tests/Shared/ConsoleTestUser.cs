using System.Security.Claims;
using Bunit;
using IoTix.Web.Accounts;
using IoTix.Web.Tenancy;

namespace IoTix.Tests.Shared;

/// <summary>Signs a bUnit-rendered console page in as a user of the default tenant with a role.</summary>
internal static class ConsoleTestUser
{
    public static void SignIn(BunitContext context, string role = TenantRoles.Owner)
    {
        var authorization = context.AddAuthorization();
        authorization.SetAuthorized("test@iotix.local");
        authorization.SetClaims(new Claim(TenantClaims.Role, role), new Claim(TenantClaims.Tenant, Tenants.Default));
    }
}
