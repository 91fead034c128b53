using IoTix.Web.LiveMetrics;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Components.Pages.Dashboard;

/// <summary>
/// The device inspector: pick a group and a device, see its state (coloured chip), counters, current values and recent
/// payloads. Refreshes on the live metrics tick and on new payloads, each through a throttled subscription.
/// </summary>
public sealed partial class DeviceInspectorPanel : IAsyncDisposable
{
    private IDisposable? _metricsSubscription;
    private IDisposable? _payloadSubscription;

    [Inject]
    private InspectorViewModel ViewModel { get; set; } = default!;

    [Inject]
    private ILiveMetrics Metrics { get; set; } = default!;

    [Inject]
    private IOptions<LiveMetricsOptions> Options { get; set; } = default!;

    private TimeSpan RenderInterval => TimeSpan.FromMilliseconds(Options.Value.RenderIntervalMs);

    protected override void OnInitialized() =>
        _metricsSubscription = Metrics.Subscribe(OnTickAsync, RenderInterval);

    private Task OnTickAsync(CancellationToken cancellationToken) => InvokeAsync(() =>
    {
        ViewModel.RefreshSnapshot();
        StateHasChanged();
    });

    private Task<IEnumerable<string>> SearchAsync(string? text, CancellationToken cancellationToken) =>
        Task.FromResult<IEnumerable<string>>(ViewModel.FindDevices(text));

    private async Task OnGroupChangedAsync(string? groupId)
    {
        DisposePayloadSubscription();
        await ViewModel.SelectGroupAsync(groupId);
    }

    private async Task OnDeviceChangedAsync(string? deviceId)
    {
        DisposePayloadSubscription();
        await ViewModel.InspectAsync(deviceId);
        if (ViewModel.Inspection is { } inspection)
        {
            _payloadSubscription = inspection.Subscribe(_ => InvokeAsync(StateHasChanged), RenderInterval);
        }
    }

    private async Task StopAsync()
    {
        DisposePayloadSubscription();
        await ViewModel.StopAsync();
    }

    private void DisposePayloadSubscription()
    {
        _payloadSubscription?.Dispose();
        _payloadSubscription = null;
    }

    public async ValueTask DisposeAsync()
    {
        _metricsSubscription?.Dispose();
        DisposePayloadSubscription();
        await ViewModel.DisposeAsync();
    }
}
