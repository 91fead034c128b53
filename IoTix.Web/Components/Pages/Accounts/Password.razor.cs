using System.Globalization;
using IoTix.Web.Accounts;
using IoTix.Web.Audit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Components.Pages.Accounts;

/// <summary>
/// The signed-in user's password change (<see cref="AccountPasswords.ChangeAsync"/>: current and new, Identity's
/// rules, audited). A changed password renews the security stamp, so the page refreshes this browser's sign-in through
/// a one-time ticket (other sign-ins end at their next revalidation). A user with a temporary password is sent here.
/// </summary>
public sealed partial class Password : IoTix.Web.Components.Pages.Access.AccessPage
{
    private string? _current;
    private string? _new;
    private string? _confirm;
    private string? _error;
    private bool _busy;
    private bool _mustChange;
    private int _minLength;
    private string _revalidation = "";

    [Inject]
    private IServiceScopeFactory Scopes { get; set; } = default!;

    [Inject]
    private SignInTickets Tickets { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private ConsoleConnection Connection { get; set; } = default!;

    [Inject]
    private IOptions<AccountsOptions> Options { get; set; } = default!;

    [SupplyParameterFromQuery(Name = "changed")]
    private string? Changed { get; set; }

    protected override async Task OnInitializedAsync()
    {
        _minLength = Options.Value.PasswordMinLength;
        _revalidation = Options.Value.RevalidationMinutes.ToString("0.###", CultureInfo.InvariantCulture) + " min";
        _mustChange = (await UserAsync()).FindFirst(AccountClaims.MustChangePassword) is not null;
    }

    private async Task ChangeAsync()
    {
        _error = null;
        if (!string.Equals(_new, _confirm, StringComparison.Ordinal))
        {
            _error = "the new passwords differ";
            return;
        }

        _busy = true;
        try
        {
            await using var scope = Scopes.CreateAsyncScope();
            var result = await scope.ServiceProvider.GetRequiredService<AccountPasswords>().ChangeAsync(await UserAsync(), _current, _new, Connection.RemoteIp);
            if (!result.Succeeded)
            {
                _error = result.Error;
                return;
            }

            // The stamp changed: this browser's cookie is refreshed now instead of ending at the next revalidation.
            Navigation.NavigateTo(Tickets.CompletionPath(result.User!.Id, remember: false, "/account/password?changed=true"), forceLoad: true);
        }
        finally
        {
            _busy = false;
        }
    }
}
