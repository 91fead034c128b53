using IoTix.Broker.Devices;
using IoTix.Core.Protocols;

namespace IoTix.Web.LiveMetrics;

/// <summary>
/// A tenant's view of one sample (docs/security.md, "Tenants and quotas"): the groups in its engine namespace
/// <c>tenants/{t}/</c> by their bare ids (up to <see cref="LiveMetricsOptions.MaxGroupSeries"/>, the rest counted in
/// <see cref="LiveMetricsPoint.OmittedGroups"/>), a total that sums those groups, and no broker sample (the hosted
/// broker is the platform's). The default tenant's view is the engine-wide point itself.
/// </summary>
/// <remarks>
/// Built by the sampler once per sample for every tenant that has watchers (a subscription of
/// <see cref="ILiveMetrics.Subscribe(string, Func{CancellationToken, Task}, TimeSpan)"/>: a Dashboard open, a hub
/// subscriber), in one pass over the groups, and stored with the sample: readers pick their tenant's point and never
/// recompute it, and nothing is built or kept for tenants nobody watches. A tenant's publish latency
/// merges its groups' interval histograms (<see cref="PublishLatencySnapshot.Merge"/>), so its percentiles are those
/// of the tenant's publishes at the histogram's precision, not an average of percentiles.
/// </remarks>
internal static class TenantLiveMetrics
{
    private static readonly Dictionary<string, LiveMetricsPoint> None = new(StringComparer.Ordinal);

    /// <summary>
    /// The points of <paramref name="tenants"/> (non-default tenant ids; a tenant without groups gets zero totals) from
    /// <paramref name="groups"/> (engine keys, ordinal order, the series of every group: none omitted), by tenant id.
    /// <paramref name="intervals"/> holds each group's publish latency histogram over the sampling interval (null
    /// without a baseline). Groups of other tenants and of the default tenant are skipped.
    /// </summary>
    public static IReadOnlyDictionary<string, LiveMetricsPoint> Project(
        ReadOnlySpan<SeriesSample> groups,
        ReadOnlySpan<PublishLatencySnapshot?> intervals,
        DateTimeOffset timestamp,
        int maxGroupSeries,
        IReadOnlyList<string> tenants)
    {
        if (tenants.Count == 0)
        {
            return None;
        }

        var totals = new Dictionary<string, TenantTotals>(tenants.Count, StringComparer.Ordinal);
        for (int i = 0; i < tenants.Count; i++)
        {
            totals.TryAdd(tenants[i], new TenantTotals());
        }

        var byTenant = totals.GetAlternateLookup<ReadOnlySpan<char>>(); // tenant ids are looked up without allocating
        for (int i = 0; i < groups.Length; i++)
        {
            var group = groups[i];
            if (DeviceTopics.TrySplitKey(group.Key, out var tenant, out var bareId) && byTenant.TryGetValue(tenant, out var own))
            {
                own.Add(group, bareId, intervals[i], maxGroupSeries);
            }
        }

        var points = new Dictionary<string, LiveMetricsPoint>(totals.Count, StringComparer.Ordinal);
        foreach (var (tenant, own) in totals)
        {
            points.Add(tenant, own.ToPoint(timestamp));
        }

        return points;
    }

    /// <summary>One tenant's groups and running sums while a sample is projected.</summary>
    private sealed class TenantTotals
    {
        private readonly List<SeriesSample> _groups = [];
        private PublishLatencySnapshot? _latency;
        private List<PublishLatencySnapshot?>? _latencies;
        private int _omitted;
        private int _devices;
        private int _connected;
        private double _messagesPerSecond;
        private double _errorsPerSecond;
        private double _bytesPerSecond;
        private long _messagesSent;
        private long _messagesFailed;
        private int _dropped;
        private int _reconnecting;
        private int _failed;

        public void Add(SeriesSample group, ReadOnlySpan<char> bareId, PublishLatencySnapshot? interval, int maxGroupSeries)
        {
            _devices += group.Devices;
            _connected += group.Connected;
            _messagesPerSecond += group.MessagesPerSecond;
            _errorsPerSecond += group.ErrorsPerSecond;
            _bytesPerSecond += group.BytesPerSecond;
            _messagesSent += group.MessagesSent;
            _messagesFailed += group.MessagesFailed;
            _dropped += group.Dropped;
            _reconnecting += group.Reconnecting;
            _failed += group.Failed;
            if (interval is { Count: > 0 })
            {
                if (_latency is null)
                {
                    _latency = interval;
                }
                else
                {
                    _latencies ??= [_latency];
                    _latencies.Add(interval);
                }
            }

            if (_groups.Count < maxGroupSeries)
            {
                _groups.Add(group with { Key = bareId.ToString() });
            }
            else
            {
                _omitted++;
            }
        }

        public LiveMetricsPoint ToPoint(DateTimeOffset timestamp)
        {
            var total = new SeriesSample(
                SeriesSample.TotalKey,
                _devices,
                _connected,
                _messagesPerSecond,
                _errorsPerSecond,
                _bytesPerSecond,
                _messagesSent,
                _messagesFailed,
                _dropped,
                _reconnecting,
                _failed)
            {
                PublishLatency = LiveMetricsSampler.ToSample(_latencies is null ? _latency : PublishLatencySnapshot.Merge(_latencies)),
            };
            return new LiveMetricsPoint(timestamp, total, _groups, _omitted, null);
        }
    }
}
