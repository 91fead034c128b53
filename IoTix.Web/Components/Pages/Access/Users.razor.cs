using IoTix.Web.Accounts;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace IoTix.Web.Components.Pages.Access;

/// <summary>The Users page (users.manage): the tenant's users, add one with a role, change roles, reset a password (a one-time temporary password shown once), lock and unlock.</summary>
public sealed partial class Users : IoTix.Web.Components.Pages.Access.AccessPage
{
    private UsersViewModel _vm = default!;
    private string? _email;
    private string? _password;
    private string _role = TenantRoles.Viewer;
    private string? _error;
    private bool _busy;
    private PasswordResetResult? _reset;

    [Inject]
    private IServiceScopeFactory Scopes { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private IoTix.Web.Audit.ConsoleConnection Connection { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _vm = new UsersViewModel(Scopes, await UserAsync(), Connection.RemoteIp);
        await _vm.LoadAsync();
    }

    private async Task CreateAsync()
    {
        _busy = true;
        try
        {
            _error = await _vm.CreateAsync(_email, _password, _role);
            if (_error is null)
            {
                Snackbar.Add($"{_email} added as {_role}", Severity.Success);
                _email = _password = null;
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private bool IsLocked(IoTixUser user) => user.LockoutEnd is { } end && end > Time.GetUtcNow();

    private async Task ResetPasswordAsync(string userId)
    {
        _busy = true;
        try
        {
            var reset = await _vm.ResetPasswordAsync(userId);
            _reset = reset.Succeeded ? reset : null;
            if (!reset.Succeeded)
            {
                Snackbar.Add(reset.Error!, Severity.Error);
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task SetLockedAsync(string userId, bool locked)
    {
        var error = await _vm.SetLockedAsync(userId, locked);
        Snackbar.Add(error ?? (locked ? "locked: the user's sign-ins end within the revalidation interval" : "unlocked"), error is null ? Severity.Success : Severity.Error);
    }

    private async Task SetRoleAsync(string userId, string role)
    {
        var error = await _vm.SetRoleAsync(userId, role);
        Snackbar.Add(error ?? $"role changed to {role}", error is null ? Severity.Success : Severity.Error);
    }
}
