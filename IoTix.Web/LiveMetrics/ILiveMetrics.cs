namespace IoTix.Web.LiveMetrics;

/// <summary>
/// The live metrics of this process: the latest points (a bounded history) and throttled subscriptions to new points.
/// Filled by a background sampler every <see cref="LiveMetricsOptions.SampleIntervalMs"/>.
/// </summary>
public interface ILiveMetrics
{
    /// <summary>The newest point, or null before the first sample.</summary>
    LiveMetricsPoint? Latest { get; }

    /// <summary>The newest <paramref name="maxPoints"/> points, oldest first (a copy).</summary>
    IReadOnlyList<LiveMetricsPoint> GetHistory(int maxPoints = int.MaxValue);

    /// <summary>
    /// Calls <paramref name="onNewPoints"/> after new points arrive, at most once per <paramref name="minInterval"/>:
    /// points that arrive in between are coalesced into one call (read <see cref="Latest"/> or <see cref="GetHistory"/>
    /// in it). Calls never overlap. Dispose the result to stop. The callback should return quickly (start async work
    /// and await it): it starts on the sampler's thread.
    /// </summary>
    IDisposable Subscribe(Func<CancellationToken, Task> onNewPoints, TimeSpan minInterval);
}
