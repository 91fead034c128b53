using Microsoft.AspNetCore.Components;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>Connected clients, refreshed every two seconds; disconnect with confirmation.</summary>
public sealed partial class BrokerClients : IDisposable
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(2);
    private string? _confirm;
    private bool _busy;
    private PeriodicRefresh? _refresh;

    [Inject]
    private BrokerClientsViewModel Model { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        await Model.LoadAsync();
        _refresh = new PeriodicRefresh(Time, RefreshInterval, async () =>
        {
            await Model.LoadAsync();
            await InvokeAsync(StateHasChanged);
        });
    }

    public void Dispose() => _refresh?.Dispose();

    private Task RefreshAsync() => Model.LoadAsync();

    private void Ask(string clientId) => _confirm = clientId;

    private async Task ConfirmAsync()
    {
        if (_confirm is not { } clientId)
        {
            return;
        }

        _busy = true;
        try
        {
            await Model.DisconnectAsync(clientId);
        }
        finally
        {
            _busy = false;
            _confirm = null;
        }
    }

    private string Since(DateTimeOffset connected) => TimeAgo.Format(connected, Time.GetUtcNow());
}
