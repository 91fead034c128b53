using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace IoTix.Web.Tenancy;

/// <summary>
/// Console circuits act for the signed-in user's tenant: every inbound activity (events, JS calls, rendering after
/// them) runs inside <see cref="TenantScope.Enter"/>, so the orchestrator and the stores see that tenant.
/// </summary>
internal sealed class TenantCircuitHandler(AuthenticationStateProvider authentication) : CircuitHandler
{
    public override Func<CircuitInboundActivityContext, Task> CreateInboundActivityHandler(Func<CircuitInboundActivityContext, Task> next) =>
        async context =>
        {
            var state = await authentication.GetAuthenticationStateAsync();
            if (state.User.Identity?.IsAuthenticated == true && TenantClaims.TenantOf(state.User) is { } tenant)
            {
                using var scope = TenantScope.Enter(tenant);
                await next(context);
                return;
            }

            await next(context);
        };
}
