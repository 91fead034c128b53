using IoTix.Broker.Observability;
using IoTix.Core.Devices;
using IoTix.Core.Protocols;
using Microsoft.Extensions.Options;

namespace IoTix.Web.LiveMetrics;

/// <summary>
/// Samples the engine and broker counters every <see cref="LiveMetricsOptions.SampleIntervalMs"/> into a bounded ring
/// of <see cref="LiveMetricsPoint"/>s (rates from counter deltas over the elapsed time) and notifies subscribers.
/// One loop per process, whatever the number of pages open.
/// </summary>
internal sealed partial class LiveMetricsSampler : BackgroundService, ILiveMetrics
{
    private readonly ILiveMetricsSource _source;
    private readonly LiveMetricsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<LiveMetricsSampler> _logger;
    private readonly MetricsRing<LiveMetricsPoint> _ring;
    private readonly Lock _sampleLock = new();
    private readonly Lock _subscribersLock = new();
    private ThrottledSubscription[] _subscribers = [];

    // Counters of the previous sample (sampler state, guarded by _sampleLock).
    private bool _hasPrevious;
    private long _previousTimestamp;
    private Counters _previousTotal;
    private BrokerCounters _previousBroker;
    private Dictionary<string, Counters> _previousGroups = new(StringComparer.Ordinal);
    private PublishLatencySnapshot? _previousTotalLatency;
    private Dictionary<string, PublishLatencySnapshot> _previousGroupLatency = new(StringComparer.Ordinal);

    public LiveMetricsSampler(ILiveMetricsSource source, IOptions<LiveMetricsOptions> options, TimeProvider time, ILogger<LiveMetricsSampler> logger)
    {
        _source = source;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _ring = new MetricsRing<LiveMetricsPoint>(_options.HistoryPoints);
    }

    public LiveMetricsPoint? Latest => _ring.Latest;

    /// <summary>Subscribers now (for tests and diagnostics).</summary>
    internal int SubscriberCount => Volatile.Read(ref _subscribers).Length;

    public IReadOnlyList<LiveMetricsPoint> GetHistory(int maxPoints = int.MaxValue) => _ring.Newest(maxPoints);

    public IDisposable Subscribe(Func<CancellationToken, Task> onNewPoints, TimeSpan minInterval)
    {
        var subscription = new ThrottledSubscription(onNewPoints, minInterval, _time, _logger, Unsubscribe);
        lock (_subscribersLock)
        {
            _subscribers = [.. _subscribers, subscription];
        }

        return subscription;
    }

    private void Unsubscribe(ThrottledSubscription subscription)
    {
        lock (_subscribersLock)
        {
            var current = _subscribers;
            int index = Array.IndexOf(current, subscription);
            if (index < 0)
            {
                return;
            }

            var next = new ThrottledSubscription[current.Length - 1];
            Array.Copy(current, 0, next, 0, index);
            Array.Copy(current, index + 1, next, index, current.Length - index - 1);
            _subscribers = next;
        }
    }

    /// <summary>Takes one sample now: reads the counters, computes rates, stores the point and notifies subscribers.</summary>
    internal LiveMetricsPoint Sample()
    {
        LiveMetricsPoint point;
        lock (_sampleLock)
        {
            point = Compute(_source.GetSimulationStats(), _source.GetBrokerMetrics());
            _ring.Add(point);
        }

        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            subscriber.Notify();
        }

        return point;
    }

    private LiveMetricsPoint Compute(SimulationStats stats, BrokerMetricsSnapshot? broker)
    {
        long now = _time.GetTimestamp();
        double seconds = _hasPrevious ? _time.GetElapsedTime(_previousTimestamp, now).TotalSeconds : 0;

        var totalCounters = new Counters(stats.MessagesSent, stats.MessagesFailed, stats.BytesSent);
        var total = Series(SeriesSample.TotalKey, stats.DeviceCount, stats.RunningDeviceCount, stats.DevicesByState, totalCounters, _hasPrevious ? _previousTotal : (Counters?)null, seconds)
            with { PublishLatency = Latency(stats.PublishLatency, _hasPrevious ? _previousTotalLatency : null, _hasPrevious) };
        var groupLatency = new Dictionary<string, PublishLatencySnapshot>(StringComparer.Ordinal);

        int limit = Math.Min(stats.Groups.Count, _options.MaxGroupSeries);
        var groups = new SeriesSample[limit];
        var groupCounters = new Dictionary<string, Counters>(limit, StringComparer.Ordinal);
        for (int i = 0; i < limit; i++)
        {
            var g = stats.Groups[i];
            var counters = new Counters(g.MessagesSent, g.MessagesFailed, g.BytesSent);
            Counters? previous = _hasPrevious && _previousGroups.TryGetValue(g.GroupId, out var p) ? p : null;
            PublishLatencySnapshot? previousLatency = null;
            bool baseline = _hasPrevious && _previousGroupLatency.TryGetValue(g.GroupId, out previousLatency);
            groups[i] = Series(g.GroupId, g.DeviceCount, g.RunningDeviceCount, g.DevicesByState, counters, previous, seconds)
                with { PublishLatency = Latency(g.PublishLatency, baseline ? previousLatency : null, baseline) };
            groupCounters[g.GroupId] = counters;
            groupLatency[g.GroupId] = g.PublishLatency;
        }

        BrokerSample? brokerSample = null;
        BrokerCounters brokerCounters = default;
        if (broker is not null)
        {
            brokerCounters = new BrokerCounters(broker.MessagesReceived, broker.MessagesSent, broker.MessagesDropped + broker.MessagesExpired + broker.PublishesRejected);
            bool baseline = _hasPrevious && _previousBroker.Present;
            brokerSample = new BrokerSample(
                broker.ConnectionsCurrent,
                Rate(brokerCounters.In, baseline ? _previousBroker.In : null, seconds),
                Rate(brokerCounters.Out, baseline ? _previousBroker.Out : null, seconds),
                Rate(brokerCounters.Dropped, baseline ? _previousBroker.Dropped : null, seconds),
                broker.SubscriptionsCurrent);
        }

        _previousTimestamp = now;
        _previousTotal = totalCounters;
        _previousBroker = brokerCounters;
        _previousGroups = groupCounters;
        _previousTotalLatency = stats.PublishLatency;
        _previousGroupLatency = groupLatency;
        _hasPrevious = true;
        return new LiveMetricsPoint(_time.GetUtcNow(), total, groups, stats.Groups.Count - limit, brokerSample);
    }

    private static SeriesSample Series(string key, int devices, int connected, IReadOnlyDictionary<string, int> states, Counters now, Counters? previous, double seconds) => new(
        key,
        devices,
        connected,
        Rate(now.Messages, previous?.Messages, seconds),
        Rate(now.Failed, previous?.Failed, seconds),
        Rate(now.Bytes, previous?.Bytes, seconds),
        now.Messages,
        now.Failed,
        State(states, DeviceState.Dropped),
        State(states, DeviceState.Reconnecting),
        State(states, DeviceState.Failed));

    /// <summary>
    /// Latency of the publishes acknowledged since the previous sample; null without a baseline (first sample, a new
    /// group) or when nothing was acknowledged. A histogram that shrank was reset (a group created again): all of it counts.
    /// </summary>
    internal static LatencySample? Latency(PublishLatencySnapshot now, PublishLatencySnapshot? previous, bool baseline)
    {
        if (!baseline)
        {
            return null;
        }

        var interval = previous is not null && previous.Count <= now.Count ? now.Since(previous) : now;
        return interval.Count == 0 ? null : new LatencySample(interval.Count, interval.P50Ms, interval.P95Ms, interval.P99Ms, interval.MaxMs);
    }

    /// <summary>
    /// Per-second rate of a monotonic counter. No baseline (first sample, a new group) or no elapsed time: 0. A counter
    /// that went down was reset (a group deleted and created again): its whole value counts as the delta.
    /// </summary>
    internal static double Rate(long now, long? previous, double seconds)
    {
        if (previous is not { } before || seconds <= 0)
        {
            return 0;
        }

        long delta = now - before;
        if (delta < 0)
        {
            delta = now;
        }

        return delta / seconds;
    }

    private static int State(IReadOnlyDictionary<string, int> states, DeviceState state) =>
        states.TryGetValue(DeviceLifecycle.Name(state), out var count) ? count : 0;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.SampleInterval, _time);
        LogStarted(_logger, _options.SampleIntervalMs, _options.HistoryPoints);
        do
        {
            try
            {
                Sample();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSampleFailed(_logger, ex);
            }
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    private static async ValueTask<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public override void Dispose()
    {
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            subscriber.Dispose();
        }

        base.Dispose();
    }

    /// <summary>Monotonic counters of one series at one sample.</summary>
    private readonly record struct Counters(long Messages, long Failed, long Bytes);

    /// <summary>Monotonic broker counters at one sample (<see cref="Present"/> is false when the broker is disabled).</summary>
    private readonly record struct BrokerCounters(long In, long Out, long Dropped)
    {
        public bool Present { get; } = true;
    }
}
