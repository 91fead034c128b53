using System.Text.Json;
using IoTix.Broker.Shadows;
using IoTix.Web.Devices;
using IoTix.Web.Accounts;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>
/// Registered devices with their status (refreshed every two seconds), the selected device's shadow (live: refreshed
/// when it changes, at most a few times a second) with a desired-state editor, and direct method calls.
/// </summary>
public sealed partial class BrokerDevices : IDisposable
{
    private bool _canWrite;

    [CascadingParameter]
    private Task<AuthenticationState>? Authentication { get; set; }

    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(2);
    private PeriodicRefresh? _refresh;
    private int _shadowChanged;

    [Inject]
    private DevicesViewModel Model { get; set; } = default!;

    [Inject]
    private IShadowService Shadows { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _canWrite = await ConsoleAccess.AllowsAsync(Authentication, Permissions.ShadowsWrite);
        await Model.LoadAsync();
        Shadows.Changed += OnShadowChanged;
        _refresh = new PeriodicRefresh(Time, RefreshInterval, async () =>
        {
            await Model.LoadAsync();
            if (Interlocked.Exchange(ref _shadowChanged, 0) == 1)
            {
                await Model.RefreshShadowAsync();
            }

            await InvokeAsync(StateHasChanged);
        });
    }

    public void Dispose()
    {
        Shadows.Changed -= OnShadowChanged;
        _refresh?.Dispose();
    }

    /// <summary>Only a flag: the next refresh tick reloads the shadow, so a burst of updates costs one render.</summary>
    private void OnShadowChanged(string thingName)
    {
        if (thingName == Model.SelectedKey)
        {
            Volatile.Write(ref _shadowChanged, 1);
        }
    }

    private Task RefreshAsync() => Model.LoadAsync();

    private Task RowClickedAsync(TableRowClickEventArgs<RegisteredDevice> args) => args.Item is { } device ? Model.SelectAsync(device.DeviceId) : Task.CompletedTask;

    private string RowClass(RegisteredDevice device, int index) => device.DeviceId == Model.SelectedId ? "mud-selected-item" : "";

    private Task RegisterAsync() => Model.RegisterAsync();

    private Task SaveDesiredAsync() => Model.SaveDesiredAsync();

    private Task ReloadAsync() => Model.ReloadShadowAsync();

    private Task InvokeAsync() => Model.InvokeAsync();

    private static string Json(JsonElement? section) => section is { } value ? DevicesViewModel.Pretty(value) : "{}";

    private string Ago(DateTimeOffset? seen) => seen is { } at ? TimeAgo.Format(at, Time.GetUtcNow()) : "never";
}
