using IoTix.Web.Accounts;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>Message history: filter, time range, pages, and replay with pace and live progress.</summary>
public sealed partial class BrokerHistory : IDisposable
{
    private bool _canWrite;

    [CascadingParameter]
    private Task<AuthenticationState>? Authentication { get; set; }

    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(500);

    private DateTime? _fromDate;
    private TimeSpan? _fromTime;
    private DateTime? _toDate;
    private TimeSpan? _toTime;
    private PeriodicRefresh? _progress;

    [Inject]
    private HistoryViewModel Model { get; set; } = default!;

    [Inject]
    private TimeProvider Clock { get; set; } = default!;

    public void Dispose() => _progress?.Dispose();

    protected override async Task OnInitializedAsync()
    {
        _canWrite = await ConsoleAccess.AllowsAsync(Authentication, Permissions.HistoryReplay);
        Model.TenantId = await ConsoleAccess.TenantAsync(Authentication);
        await Model.SearchAsync();
    }

    private Task SearchAsync()
    {
        Model.From = _fromDate is { } from ? from.Date + (_fromTime ?? TimeSpan.Zero) : null;
        Model.To = _toDate is { } to ? to.Date + (_toTime ?? TimeSpan.Zero) : null;
        return Model.SearchAsync();
    }

    // The buttons are disabled without history.replay; the handlers check again (a crafted circuit event reaches them).
    private void StartReplay()
    {
        if (!_canWrite)
        {
            Model.ReplayError = "Not allowed: your role does not hold history.replay.";
            return;
        }

        if (Model.StartReplay())
        {
            // Progress a few times a second while the job runs, never once per message.
            _progress?.Dispose();
            _progress = new PeriodicRefresh(Clock, ProgressInterval, RefreshProgressAsync);
        }
    }

    private void CancelReplay()
    {
        if (_canWrite)
        {
            Model.CancelReplay();
        }
    }

    private async Task RefreshProgressAsync()
    {
        if (Model.RefreshJob())
        {
            await InvokeAsync(StateHasChanged);
        }

        if (!Model.JobRunning)
        {
            _progress?.Dispose();
        }
    }
}
