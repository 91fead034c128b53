using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace IoTix.Web.Components.Pages.Access;

/// <summary>
/// Base of the access pages (sign-in, users, keys, audit): the signed-in user from the cascading authentication
/// state, and <see cref="Interactive"/> (the page's <c>data-interactive</c> marker) once the circuit runs it.
/// </summary>
public abstract class AccessPage : ComponentBase
{
    [CascadingParameter]
    private Task<AuthenticationState>? Authentication { get; set; }

    /// <summary>True once the page runs interactively (prerendered HTML ignores clicks).</summary>
    protected bool Interactive { get; private set; }

    protected async Task<ClaimsPrincipal> UserAsync() => Authentication is null ? new ClaimsPrincipal() : (await Authentication).User;

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender && RendererInfo.IsInteractive)
        {
            Interactive = true;
            StateHasChanged();
        }
    }
}
