using IoTix.Web.LiveMetrics;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace IoTix.Web.Components.Pages.Dashboard;

/// <summary>
/// The live dashboard: KPI cards, time-series charts (total and per group), the device inspector and an optional
/// Grafana panel, as the signed-in user's tenant sees them (another tenant than the default: its own groups, no
/// broker, no Grafana). New points arrive through a throttled subscription to <see cref="ILiveMetrics"/> for that
/// tenant: at most one render per <see cref="DashboardViewModel.RenderInterval"/>, whatever the message rate.
/// </summary>
public sealed partial class Dashboard : IDisposable
{
    private IDisposable? _subscription;
    private bool _disposed;

    [CascadingParameter]
    private Task<AuthenticationState>? Authentication { get; set; }

    [Inject]
    private DashboardViewModel ViewModel { get; set; } = default!;

    [Inject]
    private ILiveMetrics Metrics { get; set; } = default!;

    /// <summary>The page's state: what it shows (for tests).</summary>
    internal DashboardViewModel State => ViewModel;

    /// <summary>Live updates applied (for tests: N points in, at most K updates).</summary>
    internal int LiveRenders { get; private set; }

    /// <summary>Renders of this page itself, children excluded (for tests).</summary>
    internal int OwnRenders { get; private set; }

    protected override void OnAfterRender(bool firstRender) => OwnRenders++;

    protected override async Task OnInitializedAsync()
    {
        ViewModel.TenantId = await ConsoleAccess.TenantAsync(Authentication);
        if (_disposed)
        {
            return; // the page went away while the sign-in was read
        }

        ViewModel.Refresh();
        _subscription = Metrics.Subscribe(ViewModel.TenantId, OnNewPointsAsync, ViewModel.RenderInterval); // keeps the tenant's view built
    }

    private Task OnNewPointsAsync(CancellationToken cancellationToken) => InvokeAsync(() =>
    {
        ViewModel.Refresh();
        LiveRenders++;
        StateHasChanged();
    });

    private void OnWindowChanged(int points)
    {
        ViewModel.WindowPoints = points;
        ViewModel.Refresh();
    }

    private string WindowLabel(int points)
    {
        var span = TimeSpan.FromMilliseconds((double)points * ViewModel.SampleInterval.TotalMilliseconds);
        return span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0} s";
    }

    public void Dispose()
    {
        _disposed = true;
        _subscription?.Dispose();
    }
}
