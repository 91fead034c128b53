using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.SignalR;

namespace IoTix.Web.LiveMetrics;

/// <summary>
/// SignalR hub at <see cref="Path"/>: a client calls <c>Subscribe</c> to receive every new point as a
/// <see cref="PointMethod"/> message, and <c>GetHistory(maxPoints)</c> for the points kept so far (oldest first).
/// Every call serves the caller's tenant's view (<see cref="ILiveMetrics.LatestFor"/>): a subscriber joins its
/// tenant's SignalR group, and only that tenant's points are sent to that group.
/// </summary>
internal sealed class LiveMetricsHub(ILiveMetrics metrics, LiveMetricsWatchers watchers) : Hub
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
        watchers.Add(Context.ConnectionId, tenant);
    }

    public async Task Unsubscribe()
    {
        watchers.Remove(Context.ConnectionId);
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupOf(Tenant), Context.ConnectionAborted).ConfigureAwait(false);
    }

    public IReadOnlyList<LiveMetricsPoint> GetHistory(int maxPoints) => metrics.GetHistory(Tenant, Math.Max(0, maxPoints));

    public LiveMetricsPoint? GetLatest() => metrics.LatestFor(Tenant);

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        watchers.Remove(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }
}

/// <summary>
/// The tenants with hub subscribers now (a connection counts once, for the tenant it subscribed as). Read once per
/// sample by the broadcaster: copy on write under a lock, read without one.
/// </summary>
internal sealed class LiveMetricsWatchers
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, string> _tenantByConnection = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _connectionsByTenant = new(StringComparer.Ordinal);
    private string[] _tenants = [];

    /// <summary>The tenants with at least one subscribed connection (a snapshot).</summary>
    public IReadOnlyList<string> Tenants => Volatile.Read(ref _tenants);

    public void Add(string connectionId, string tenantId)
    {
        lock (_lock)
        {
            if (!_tenantByConnection.TryAdd(connectionId, tenantId))
            {
                return;
            }

            _connectionsByTenant[tenantId] = _connectionsByTenant.GetValueOrDefault(tenantId) + 1;
            Publish();
        }
    }

    public void Remove(string connectionId)
    {
        lock (_lock)
        {
            if (!_tenantByConnection.Remove(connectionId, out var tenantId))
            {
                return;
            }

            int left = _connectionsByTenant[tenantId] - 1;
            if (left == 0)
            {
                _connectionsByTenant.Remove(tenantId);
            }
            else
            {
                _connectionsByTenant[tenantId] = left;
            }

            Publish();
        }
    }

    private void Publish() => Volatile.Write(ref _tenants, [.. _connectionsByTenant.Keys]);
}

/// <summary>
/// Sends each new point to the hub's subscribers, per tenant: the view of each tenant with subscribers
/// (<see cref="LiveMetricsWatchers"/>) to that tenant's group only. One subscription to the sampler for all SignalR
/// clients; the views are the sampler's, computed once per sample.
/// </summary>
internal sealed class LiveMetricsHubBroadcaster(ILiveMetrics metrics, LiveMetricsWatchers watchers, IHubContext<LiveMetricsHub> hub) : IHostedService, IDisposable
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = metrics.Subscribe(BroadcastAsync, TimeSpan.Zero);
        return Task.CompletedTask;
    }

    private async Task BroadcastAsync(CancellationToken cancellationToken)
    {
        foreach (var tenant in watchers.Tenants)
        {
            if (metrics.LatestFor(tenant) is { } point)
            {
                await hub.Clients.Group(LiveMetricsHub.GroupOf(tenant)).SendAsync(LiveMetricsHub.PointMethod, point, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        _subscription = null;
    }
}
