using IoTix.Broker.Admin;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>Subscriptions of every session, searchable by topic filter or client id.</summary>
public sealed class BrokerSubscriptionsViewModel(IBrokerAdmin admin)
{
    private IReadOnlyList<BrokerSubscriptionInfo> _subscriptions = [];

    public bool IsRunning => admin.IsRunning;

    public string Search { get; set; } = "";

    public IReadOnlyList<BrokerSubscriptionInfo> All => _subscriptions;

    public IReadOnlyList<BrokerSubscriptionInfo> Visible
    {
        get
        {
            var search = Search.Trim();
            if (search.Length == 0)
            {
                return _subscriptions;
            }

            var result = new List<BrokerSubscriptionInfo>();
            foreach (var subscription in _subscriptions)
            {
                if (subscription.TopicFilter.Contains(search, StringComparison.OrdinalIgnoreCase)
                    || subscription.ClientId.Contains(search, StringComparison.OrdinalIgnoreCase))
                {
                    result.Add(subscription);
                }
            }

            return result;
        }
    }

    public async Task LoadAsync(CancellationToken cancellationToken = default) =>
        _subscriptions = await admin.GetSubscriptionsAsync(cancellationToken).ConfigureAwait(false);
}
