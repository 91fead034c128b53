using IoTix.Broker.Observability;
using IoTix.Core.Devices;
using IoTix.Core.Protocols;
using IoTix.Web.Tenancy;
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
    private readonly MetricsRing<LiveMetricsSample> _ring;
    private readonly Lock _sampleLock = new();
    private readonly Lock _subscribersLock = new();
    private ThrottledSubscription[] _subscribers = [];
    private string[] _watchedTenants = [];

    // Counters of the previous sample (sampler state, guarded by _sampleLock).
    private bool _hasPrevious;
    private long _previousTimestamp;
    private Counters _previousTotal;
    private BrokerCounters _previousBroker;
    private Dictionary<string, GroupBaseline> _previousGroups = new(StringComparer.Ordinal);
    private PublishLatencySnapshot? _previousTotalLatency;

    public LiveMetricsSampler(ILiveMetricsSource source, IOptions<LiveMetricsOptions> options, TimeProvider time, ILogger<LiveMetricsSampler> logger)
    {
        _source = source;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _ring = new MetricsRing<LiveMetricsSample>(_options.HistoryPoints);
    }

    public LiveMetricsPoint? Latest => _ring.Latest?.Point;

    public LiveMetricsPoint? LatestFor(string tenantId)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        return _ring.Latest is { } sample && sample.TryGetFor(tenantId, out var point) ? point : null;
    }

    /// <summary>The non-default tenants whose views each sample builds: those with a subscription now.</summary>
    internal IReadOnlyList<string> WatchedTenants => Volatile.Read(ref _watchedTenants);

    /// <summary>Subscribers now (for tests and diagnostics).</summary>
    internal int SubscriberCount => Volatile.Read(ref _subscribers).Length;

    public IReadOnlyList<LiveMetricsPoint> GetHistory(int maxPoints = int.MaxValue) => GetHistory(Tenants.Default, maxPoints);

    public IReadOnlyList<LiveMetricsPoint> GetHistory(string tenantId, int maxPoints = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        var samples = _ring.Newest(maxPoints);
        var points = new List<LiveMetricsPoint>(samples.Length);
        foreach (var sample in samples)
        {
            if (sample.TryGetFor(tenantId, out var point))
            {
                points.Add(point);
            }
        }

        return points;
    }

    public IDisposable Subscribe(Func<CancellationToken, Task> onNewPoints, TimeSpan minInterval) => Subscribe(Tenants.Default, onNewPoints, minInterval);

    public IDisposable Subscribe(string tenantId, Func<CancellationToken, Task> onNewPoints, TimeSpan minInterval)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        var subscription = new ThrottledSubscription(onNewPoints, minInterval, _time, _logger, Unsubscribe)
        {
            Tenant = string.Equals(tenantId, Tenants.Default, StringComparison.Ordinal) ? null : tenantId,
        };
        lock (_subscribersLock)
        {
            _subscribers = [.. _subscribers, subscription];
            _watchedTenants = Watched(_subscribers);
        }

        return subscription;
    }

    /// <summary>The distinct non-default tenants of <paramref name="subscribers"/> (on subscribe and unsubscribe only).</summary>
    private static string[] Watched(ThrottledSubscription[] subscribers)
    {
        var tenants = new HashSet<string>(StringComparer.Ordinal);
        foreach (var subscriber in subscribers)
        {
            if (subscriber.Tenant is { } tenant)
            {
                tenants.Add(tenant);
            }
        }

        return [.. tenants];
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
            _watchedTenants = Watched(next);
        }
    }

    /// <summary>Takes one sample now: reads the counters, computes rates and the tenants' views, stores them and notifies subscribers; returns the engine-wide point.</summary>
    internal LiveMetricsPoint Sample()
    {
        LiveMetricsSample sample;
        lock (_sampleLock)
        {
            sample = Compute(_source.GetSimulationStats(), _source.GetBrokerMetrics(), Volatile.Read(ref _watchedTenants));
            _ring.Add(sample);
        }

        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            subscriber.Notify();
        }

        return sample.Point;
    }

    private LiveMetricsSample Compute(SimulationStats stats, BrokerMetricsSnapshot? broker, string[] watchedTenants)
    {
        long now = _time.GetTimestamp();
        var timestamp = _time.GetUtcNow();
        double seconds = _hasPrevious ? _time.GetElapsedTime(_previousTimestamp, now).TotalSeconds : 0;

        var totalCounters = new Counters(stats.MessagesSent, stats.MessagesFailed, stats.BytesSent);
        var total = Series(SeriesSample.TotalKey, stats.DeviceCount, stats.RunningDeviceCount, stats.DevicesByState, totalCounters, _hasPrevious ? _previousTotal : (Counters?)null, seconds)
            with { PublishLatency = Latency(stats.PublishLatency, _hasPrevious ? _previousTotalLatency : null, _hasPrevious) };

        // Every group gets a series (watched tenants' totals need their groups beyond the engine point's bound too).
        int count = stats.Groups.Count;
        var samples = new SeriesSample[count];
        var intervals = new PublishLatencySnapshot?[count];
        var baselines = new Dictionary<string, GroupBaseline>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            var g = stats.Groups[i];
            var counters = new Counters(g.MessagesSent, g.MessagesFailed, g.BytesSent);
            GroupBaseline before = default;
            bool baseline = _hasPrevious && _previousGroups.TryGetValue(g.GroupId, out before);
            var interval = baseline ? Interval(g.PublishLatency, before.Latency) : null;
            samples[i] = Series(g.GroupId, g.DeviceCount, g.RunningDeviceCount, g.DevicesByState, counters, baseline ? before.Counters : null, seconds)
                with { PublishLatency = ToSample(interval) };
            intervals[i] = interval;
            baselines[g.GroupId] = new GroupBaseline(counters, g.PublishLatency);
        }

        int limit = Math.Min(count, _options.MaxGroupSeries);
        var groups = limit == count ? samples : samples[..limit];
        var tenants = TenantLiveMetrics.Project(samples, intervals, timestamp, _options.MaxGroupSeries, watchedTenants);

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
        _previousGroups = baselines;
        _previousTotalLatency = stats.PublishLatency;
        _hasPrevious = true;
        return new LiveMetricsSample(new LiveMetricsPoint(timestamp, total, groups, count - limit, brokerSample), tenants);
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
    internal static LatencySample? Latency(PublishLatencySnapshot now, PublishLatencySnapshot? previous, bool baseline) =>
        baseline ? ToSample(Interval(now, previous)) : null;

    /// <summary>The histogram of the publishes acknowledged since <paramref name="previous"/> (all of <paramref name="now"/> when it was reset).</summary>
    private static PublishLatencySnapshot Interval(PublishLatencySnapshot now, PublishLatencySnapshot? previous) =>
        previous is not null && previous.Count <= now.Count ? now.Since(previous) : now;

    /// <summary>The percentiles of an interval's histogram; null when it holds nothing.</summary>
    internal static LatencySample? ToSample(PublishLatencySnapshot? interval) =>
        interval is not { Count: > 0 } ? null : new LatencySample(interval.Count, interval.P50Ms, interval.P95Ms, interval.P99Ms, interval.MaxMs);

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

    /// <summary>A group's counters and latency histogram at the previous sample.</summary>
    private readonly record struct GroupBaseline(Counters Counters, PublishLatencySnapshot Latency);

    /// <summary>Monotonic broker counters at one sample (<see cref="Present"/> is false when the broker is disabled).</summary>
    private readonly record struct BrokerCounters(long In, long Out, long Dropped)
    {
        public bool Present { get; } = true;
    }
}

/// <summary>One stored sample: the engine-wide point (the default tenant's view) and the view of each tenant watched when it was taken.</summary>
internal sealed record LiveMetricsSample(LiveMetricsPoint Point, IReadOnlyDictionary<string, LiveMetricsPoint> Tenants)
{
    /// <summary>The point <paramref name="tenantId"/> sees: the engine-wide one for the default tenant, else its own view; false when it was not watched then.</summary>
    public bool TryGetFor(string tenantId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LiveMetricsPoint? point)
    {
        if (string.Equals(tenantId, Tenancy.Tenants.Default, StringComparison.Ordinal))
        {
            point = Point;
            return true;
        }

        return Tenants.TryGetValue(tenantId, out point);
    }
}
