namespace IoTix.Web.LiveMetrics;

/// <summary>
/// The live metrics of this process: the latest points (a bounded history) and throttled subscriptions to new points.
/// Filled by a background sampler every <see cref="LiveMetricsOptions.SampleIntervalMs"/>. The default tenant (the
/// platform) sees the engine-wide point; every other tenant its own view (its groups by bare ids, totals of its
/// groups, no broker sample), built once per sample while that tenant has a subscription. Code that serves a caller
/// subscribes for and reads the caller's tenant's view (<see cref="LatestFor"/>, <see cref="GetHistory(string, int)"/>).
/// </summary>
public interface ILiveMetrics
{
    /// <summary>The newest engine-wide point (the default tenant's view), or null before the first sample.</summary>
    LiveMetricsPoint? Latest { get; }

    /// <summary>The newest engine-wide points (the default tenant's view), at most <paramref name="maxPoints"/>, oldest first (a copy).</summary>
    IReadOnlyList<LiveMetricsPoint> GetHistory(int maxPoints = int.MaxValue);

    /// <summary>
    /// The newest point as <paramref name="tenantId"/> sees it; null before the first sample, and for a non-default
    /// tenant when nobody of it was subscribed at the newest sample (its view is built only while it is watched).
    /// </summary>
    LiveMetricsPoint? LatestFor(string tenantId);

    /// <summary>
    /// The newest points as <paramref name="tenantId"/> sees them, oldest first (a copy): of the newest
    /// <paramref name="maxPoints"/> samples, those taken while the tenant was watched (every one for the default tenant).
    /// </summary>
    IReadOnlyList<LiveMetricsPoint> GetHistory(string tenantId, int maxPoints = int.MaxValue);

    /// <summary>
    /// Calls <paramref name="onNewPoints"/> after new points arrive, at most once per <paramref name="minInterval"/>:
    /// points that arrive in between are coalesced into one call (read <see cref="Latest"/> or <see cref="GetHistory"/>
    /// in it). Calls never overlap. Dispose the result to stop. The callback should return quickly (start async work
    /// and await it): it starts on the sampler's thread.
    /// </summary>
    IDisposable Subscribe(Func<CancellationToken, Task> onNewPoints, TimeSpan minInterval);

    /// <summary>
    /// <see cref="Subscribe(Func{CancellationToken, Task}, TimeSpan)"/> for a reader of <paramref name="tenantId"/>'s
    /// view: while the subscription lives, every sample also builds that tenant's view (once per sample, however many
    /// subscribers it has). For the default tenant, the same as the engine-wide subscription.
    /// </summary>
    IDisposable Subscribe(string tenantId, Func<CancellationToken, Task> onNewPoints, TimeSpan minInterval);
}
