using Microsoft.AspNetCore.Components;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>Subscriptions of every session, refreshed every two seconds.</summary>
public sealed partial class BrokerSubscriptions : IDisposable
{
    private PeriodicRefresh? _refresh;

    [Inject]
    private BrokerSubscriptionsViewModel Model { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        await Model.LoadAsync();
        _refresh = new PeriodicRefresh(Time, TimeSpan.FromSeconds(2), async () =>
        {
            await Model.LoadAsync();
            await InvokeAsync(StateHasChanged);
        });
    }

    public void Dispose() => _refresh?.Dispose();
}
