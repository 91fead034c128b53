using IoTix.Web.Accounts;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace IoTix.Web.Components.Pages.Accounts;

/// <summary>
/// The sign-in page: checks the e-mail and password in the circuit (<see cref="AccountSignIn"/>: lockout, audit),
/// asks for the authenticator code (or a one-time recovery code) as a second step when the user has two-factor on,
/// then hands a one-time ticket to <c>/account/complete-signin</c>, the plain request that sets the cookie.
/// </summary>
public sealed partial class SignIn : IoTix.Web.Components.Pages.Access.AccessPage
{
    private string? _email;
    private string? _password;
    private bool _remember;
    private bool _needsCode;
    private string? _totp;
    private bool _useRecoveryCode;
    private string? _recoveryCode;
    private bool _busy;
    private string? _message;

    [Inject]
    private IServiceScopeFactory Scopes { get; set; } = default!;

    [Inject]
    private SignInTickets Tickets { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private IoTix.Web.Audit.ConsoleConnection Connection { get; set; } = default!;

    [SupplyParameterFromQuery(Name = "returnUrl")]
    private string? ReturnUrl { get; set; }

    [SupplyParameterFromQuery(Name = "error")]
    private string? Error { get; set; }

    protected override void OnInitialized()
    {
        if (Error == "expired")
        {
            _message = "the sign-in took too long; sign in again";
        }
    }

    private async Task OnKeyDownAsync(KeyboardEventArgs e)
    {
        if (e.Key == "Enter")
        {
            await SignInAsync();
        }
    }

    private void ToggleRecoveryCode()
    {
        _useRecoveryCode = !_useRecoveryCode;
        _totp = _recoveryCode = null;
        _message = null;
    }

    private async Task SignInAsync()
    {
        _busy = true;
        _message = null;
        try
        {
            await using var scope = Scopes.CreateAsyncScope();
            var attempt = new SignInAttempt(_email, _password, "auth.signin", Connection.RemoteIp)
            {
                Totp = _needsCode && !_useRecoveryCode ? _totp : null,
                RecoveryCode = _needsCode && _useRecoveryCode ? _recoveryCode : null,
            };
            var check = await scope.ServiceProvider.GetRequiredService<AccountSignIn>().CheckAsync(attempt);
            if (check.Outcome == SignInOutcome.TwoFactorRequired)
            {
                _needsCode = true; // second step: the same e-mail and password, now with the authenticator code
                return;
            }

            if (check.Outcome != SignInOutcome.Succeeded)
            {
                if (check.Outcome == SignInOutcome.LockedOut)
                {
                    _needsCode = false;
                }

                _totp = _recoveryCode = null;
                _message = check.Message;
                return;
            }

            Navigation.NavigateTo(Tickets.CompletionPath(check.User!.Id, _remember, ReturnUrl), forceLoad: true);
        }
        finally
        {
            _busy = false;
        }
    }
}
