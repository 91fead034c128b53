using Microsoft.AspNetCore.SignalR;

namespace IoTix.Web.LiveMetrics;

/// <summary>
/// SignalR hub at <see cref="Path"/>: a client calls <c>Subscribe</c> to receive every new point as a
/// <see cref="PointMethod"/> message, and <c>GetHistory(maxPoints)</c> for the points kept so far (oldest first).
/// </summary>
internal sealed class LiveMetricsHub(ILiveMetrics metrics) : Hub
{
    public const string Path = "/hubs/metrics";

    /// <summary>The client method a new point is sent to.</summary>
    public const string PointMethod = "point";

    internal const string SubscribersGroup = "live-metrics";

    public Task Subscribe() => Groups.AddToGroupAsync(Context.ConnectionId, SubscribersGroup, Context.ConnectionAborted);

    public Task Unsubscribe() => Groups.RemoveFromGroupAsync(Context.ConnectionId, SubscribersGroup, Context.ConnectionAborted);

    public IReadOnlyList<LiveMetricsPoint> GetHistory(int maxPoints) => metrics.GetHistory(Math.Max(0, maxPoints));

    public LiveMetricsPoint? GetLatest() => metrics.Latest;
}

/// <summary>Sends each new point to the hub's subscribers (one subscription to the sampler for all SignalR clients).</summary>
internal sealed class LiveMetricsHubBroadcaster(ILiveMetrics metrics, IHubContext<LiveMetricsHub> hub) : IHostedService, IDisposable
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = metrics.Subscribe(BroadcastAsync, TimeSpan.Zero);
        return Task.CompletedTask;
    }

    private Task BroadcastAsync(CancellationToken cancellationToken) =>
        metrics.Latest is { } point
            ? hub.Clients.Group(LiveMetricsHub.SubscribersGroup).SendAsync(LiveMetricsHub.PointMethod, point, cancellationToken)
            : Task.CompletedTask;

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
