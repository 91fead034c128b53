using System.Globalization;
using IoTix.Web.Audit;
using IoTix.Web.Simulations;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace IoTix.Web.Components.Pages.Platform;

/// <summary>The Tenants page (tenants.manage, platform administrators): tenants with quotas and usage, create, edit quotas.</summary>
public sealed partial class TenantsPage : IoTix.Web.Components.Pages.Access.AccessPage
{
    private TenantsViewModel _vm = default!;
    private string? _error;
    private bool _busy;

    [Inject]
    private IServiceScopeFactory Scopes { get; set; } = default!;

    [Inject]
    private SimulationOrchestrator Simulations { get; set; } = default!;

    [Inject]
    private ConsoleAudit Audit { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _vm = new TenantsViewModel(Scopes, Simulations, Audit);
        await _vm.LoadAsync();
    }

    private async Task SaveAsync()
    {
        _busy = true;
        var creating = _vm.EditingId is null;
        var id = _vm.EditingId ?? _vm.Form.Id;
        try
        {
            _error = await _vm.SaveAsync();
            if (_error is null)
            {
                Snackbar.Add(creating ? $"tenant {id} created" : $"tenant {id} saved", Severity.Success);
            }
        }
        finally
        {
            _busy = false;
        }
    }

    /// <summary>Green below 80 % of the quota, amber from 80 %, red at the quota.</summary>
    private static Color Usage(int used, int quota) => used >= quota ? Color.Error : used * 5 >= quota * 4 ? Color.Warning : Color.Success;

    private static string N(int value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
