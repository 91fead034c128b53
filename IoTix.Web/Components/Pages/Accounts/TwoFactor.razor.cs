using IoTix.Web.Accounts;
using Microsoft.AspNetCore.Components;

namespace IoTix.Web.Components.Pages.Accounts;

/// <summary>The signed-in user's two-factor page: set up a key, turn on with a first code, renew the recovery codes, turn off (<see cref="TwoFactorSetup"/>).</summary>
public sealed partial class TwoFactor : IoTix.Web.Components.Pages.Access.AccessPage
{
    private TwoFactorStatus? _status;
    private AuthenticatorKey? _key;
    private IReadOnlyList<string> _recoveryCodes = [];
    private string? _code;
    private string? _error;
    private bool _busy;

    [Inject]
    private IServiceScopeFactory Scopes { get; set; } = default!;

    protected override Task OnInitializedAsync() => RunAsync(static (setup, page, user) => page.LoadAsync(setup, user));

    private Task NewKeyAsync() => RunAsync(static async (setup, page, user) =>
    {
        page._key = await setup.NewKeyAsync(user);
        page._error = page._key is null ? "could not create a key" : null;
    });

    private Task EnableAsync() => RunAsync(static async (setup, page, user) =>
    {
        var result = await setup.EnableAsync(user, page._code);
        page._error = result.Error;
        if (result.Succeeded)
        {
            page._key = null;
            page._code = null;
            page._recoveryCodes = result.RecoveryCodes;
            await page.LoadAsync(setup, user);
        }
    });

    private Task RegenerateAsync() => RunAsync(static async (setup, page, user) =>
    {
        page._recoveryCodes = await setup.RegenerateRecoveryCodesAsync(user);
        await page.LoadAsync(setup, user);
    });

    private Task DisableAsync() => RunAsync(static async (setup, page, user) =>
    {
        await setup.DisableAsync(user);
        page._recoveryCodes = [];
        await page.LoadAsync(setup, user);
    });

    private async Task LoadAsync(TwoFactorSetup setup, System.Security.Claims.ClaimsPrincipal user) => _status = await setup.GetStatusAsync(user);

    private async Task RunAsync(Func<TwoFactorSetup, TwoFactor, System.Security.Claims.ClaimsPrincipal, Task> action)
    {
        _busy = true;
        try
        {
            await using var scope = Scopes.CreateAsyncScope();
            await action(scope.ServiceProvider.GetRequiredService<TwoFactorSetup>(), this, await UserAsync());
        }
        finally
        {
            _busy = false;
        }
    }
}
