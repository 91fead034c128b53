using IoTix.Web.Audit;
using IoTix.Web.MqttUsers;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace IoTix.Web.Components.Pages.Access;

/// <summary>
/// The MQTT users page (mqttusers.manage): the tenant's MQTT users; create one with a generated password (shown once
/// in a dialog), revoke one (refused from its next CONNECT on, its connections dropped).
/// </summary>
public sealed partial class MqttUsers : IoTix.Web.Components.Pages.Access.AccessPage
{
    private MqttUsersViewModel _vm = default!;
    private string? _name;
    private string? _error;
    private bool _busy;

    [Inject]
    private MqttUserService Service { get; set; } = default!;

    [Inject]
    private IAuditLog Audit { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    private string UserNamePreview => (_vm.Prefix is null ? "" : _vm.Prefix[IoTix.Broker.Security.TenantTopics.Root.Length..]) + (string.IsNullOrWhiteSpace(_name) ? "{name}" : _name.Trim());

    protected override async Task OnInitializedAsync()
    {
        _vm = new MqttUsersViewModel(Service, Audit, await UserAsync());
        await _vm.LoadAsync();
    }

    private async Task CreateAsync()
    {
        _busy = true;
        try
        {
            var result = await _vm.CreateAsync(_name);
            _error = result.Succeeded ? null : result.Message;
            if (result.Succeeded)
            {
                _name = null;
                var parameters = new DialogParameters<MqttPasswordDialog>
                {
                    { d => d.Username, result.User!.Username },
                    { d => d.Password, result.GeneratedPassword },
                    { d => d.Prefix, _vm.Prefix },
                };
                await Dialogs.ShowAsync<MqttPasswordDialog>("MQTT user created", parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, BackdropClick = false });
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task RevokeAsync(MqttUserRecord user)
    {
        var result = await _vm.RevokeAsync(user);
        Snackbar.Add(result.Message, result.Succeeded ? Severity.Success : Severity.Error);
    }
}
