using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.SignalR;

namespace IoTix.Web.LiveMetrics;

/// <summary>
/// SignalR hub at <see cref="Path"/>: a client calls <c>Subscribe</c> to receive every new point as a
/// <see cref="PointMethod"/> message, and <c>GetHistory(maxPoints)</c> for the points kept so far (oldest first).
/// Every call serves the caller's tenant's view (<see cref="ILiveMetrics.LatestFor"/>): a subscriber joins its
/// tenant's SignalR group, and only that tenant's points are sent to that group (<see cref="LiveMetricsHubBroadcaster"/>).
/// A tenant's view is built while it has subscribers, so <c>GetHistory</c> holds the points since then.
/// </summary>
internal sealed class LiveMetricsHub(ILiveMetrics metrics, LiveMetricsHubBroadcaster broadcaster) : Hub
{
    public const string Path = "/hubs/metrics";

    /// <summary>The client method a new point is sent to.</summary>
    public const string PointMethod = "point";

    /// <summary>The SignalR group of the default tenant's subscribers; other tenants' are <c>live-metrics/{tenant}</c>.</summary>
    internal const string SubscribersGroup = "live-metrics";

    private string Tenant => Context.User is { } user ? TenantClaims.TenantOf(user) ?? Tenants.Default : Tenants.Default;

    /// <summary>The SignalR group <paramref name="tenantId"/>'s subscribers join.</summary>
    internal static string GroupOf(string tenantId) =>
        string.Equals(tenantId, Tenants.Default, StringComparison.Ordinal) ? SubscribersGroup : SubscribersGroup + "/" + tenantId;

    public async Task Subscribe()
    {
        var tenant = Tenant;
        await Groups.AddToGroupAsync(Context.ConnectionId, GroupOf(tenant), Context.ConnectionAborted).ConfigureAwait(false);
        broadcaster.Add(Context.ConnectionId, tenant);
    }

    public async Task Unsubscribe()
    {
        broadcaster.Remove(Context.ConnectionId);
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupOf(Tenant), Context.ConnectionAborted).ConfigureAwait(false);
    }

    public IReadOnlyList<LiveMetricsPoint> GetHistory(int maxPoints) => metrics.GetHistory(Tenant, Math.Max(0, maxPoints));

    public LiveMetricsPoint? GetLatest() => metrics.LatestFor(Tenant);

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        broadcaster.Remove(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }
}

/// <summary>
/// Sends new points to the hub's subscribers, per tenant: while a tenant has subscribed connections, one sampler
/// subscription for it (<see cref="ILiveMetrics.Subscribe(string, Func{CancellationToken, Task}, TimeSpan)"/>, which
/// also has its view built once per sample) sends its view to its SignalR group only. A connection counts once, for
/// the tenant it subscribed as; the last one leaving ends the tenant's subscription.
/// </summary>
internal sealed class LiveMetricsHubBroadcaster(ILiveMetrics metrics, IHubContext<LiveMetricsHub> hub) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, string> _tenantByConnection = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TenantFeed> _feeds = new(StringComparer.Ordinal);

    /// <summary>The tenants with subscribed connections now (for tests and diagnostics).</summary>
    internal IReadOnlyList<string> Tenants
    {
        get
        {
            lock (_lock)
            {
                return [.. _feeds.Keys];
            }
        }
    }

    public void Add(string connectionId, string tenantId)
    {
        lock (_lock)
        {
            if (!_tenantByConnection.TryAdd(connectionId, tenantId))
            {
                return;
            }

            if (_feeds.TryGetValue(tenantId, out var feed))
            {
                feed.Connections++;
                return;
            }

            var group = LiveMetricsHub.GroupOf(tenantId);
            _feeds.Add(tenantId, new TenantFeed(metrics.Subscribe(tenantId, ct => SendAsync(tenantId, group, ct), TimeSpan.Zero)));
        }
    }

    public void Remove(string connectionId)
    {
        lock (_lock)
        {
            if (!_tenantByConnection.Remove(connectionId, out var tenantId) || !_feeds.TryGetValue(tenantId, out var feed) || --feed.Connections > 0)
            {
                return;
            }

            _feeds.Remove(tenantId);
            feed.Subscription.Dispose();
        }
    }

    private Task SendAsync(string tenantId, string group, CancellationToken cancellationToken) =>
        metrics.LatestFor(tenantId) is { } point
            ? hub.Clients.Group(group).SendAsync(LiveMetricsHub.PointMethod, point, cancellationToken)
            : Task.CompletedTask;

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var feed in _feeds.Values)
            {
                feed.Subscription.Dispose();
            }

            _feeds.Clear();
            _tenantByConnection.Clear();
        }
    }

    /// <summary>One tenant's sampler subscription and its subscribed connections.</summary>
    private sealed class TenantFeed(IDisposable subscription)
    {
        public IDisposable Subscription { get; } = subscription;

        public int Connections { get; set; } = 1;
    }
}
