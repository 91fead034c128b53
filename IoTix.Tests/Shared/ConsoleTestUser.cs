using System.Security.Claims;
using Bunit;
using Bunit.TestDoubles;
using IoTix.Web.Accounts;
using IoTix.Web.Audit;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Shared;

/// <summary>Signs a bUnit-rendered console page in as a user of the default tenant with a role.</summary>
internal static class ConsoleTestUser
{
    public static void SignIn(BunitContext context, string role = TenantRoles.Owner, string tenant = Tenants.Default) =>
        SignIn(context.AddAuthorization(), role, tenant);

    /// <summary>Signs in through an authorization added before any service was resolved (e.g. in a test class's constructor).</summary>
    public static void SignIn(BunitAuthorizationContext authorization, string role = TenantRoles.Owner, string tenant = Tenants.Default)
    {
        authorization.SetAuthorized(Name);
        authorization.SetClaims(new Claim(TenantClaims.Role, role), new Claim(TenantClaims.Tenant, tenant));
    }

    /// <summary>Signs the page in (<see cref="Name"/>, Owner) and audits its console changes into <paramref name="host"/>'s audit log.</summary>
    public static void SignInWithAudit(BunitContext context, IServiceProvider host, string tenant = Tenants.Default)
    {
        SignIn(context, tenant: tenant);
        context.Services.AddSingleton(host.GetRequiredService<IAuditLog>());
        context.Services.AddSingleton<ITenantContext, DefaultTenant>();
        context.Services.AddScoped<ConsoleAudit>();
    }

    /// <summary>The signed-in test user's name (the audit log's actor).</summary>
    public const string Name = "test@iotix.local";

    private sealed class DefaultTenant : ITenantContext
    {
        public string TenantId => Tenants.Default;
    }
}
