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
/// Built by the sampler once per sample for every tenant that has groups, in one pass over the groups, and stored with
/// the sample: readers (pages, the hub) pick their tenant's point and never recompute it. A tenant's publish latency
/// merges its groups' interval histograms (<see cref="PublishLatencySnapshot.Merge"/>), so its percentiles are those
/// of the tenant's publishes at the histogram's precision, not an average of percentiles.
/// </remarks>
internal static class TenantLiveMetrics
{
    private static readonly Dictionary<string, LiveMetricsPoint> None = new(StringComparer.Ordinal);

    private static readonly SeriesSample EmptyTotal = new(SeriesSample.TotalKey, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>
    /// The points of every tenant that has a group in <paramref name="groups"/> (engine keys, ordinal order, the series
    /// of every group: none omitted), by tenant id. <paramref name="intervals"/> holds each group's publish latency
    /// histogram over the sampling interval (null without a baseline).
    /// </summary>
    public static IReadOnlyDictionary<string, LiveMetricsPoint> Project(
        ReadOnlySpan<SeriesSample> groups,
        ReadOnlySpan<PublishLatencySnapshot?> intervals,
        DateTimeOffset timestamp,
        int maxGroupSeries)
    {
        Dictionary<string, TenantTotals>? tenants = null;
        Dictionary<string, TenantTotals>.AlternateLookup<ReadOnlySpan<char>> byTenant = default;
        for (int i = 0; i < groups.Length; i++)
        {
            var group = groups[i];
            if (!DeviceTopics.TrySplitKey(group.Key, out var tenant, out var bareId))
            {
                continue; // the default tenant's group
            }

            if (tenants is null)
            {
                tenants = new Dictionary<string, TenantTotals>(StringComparer.Ordinal);
                byTenant = tenants.GetAlternateLookup<ReadOnlySpan<char>>(); // tenant ids are looked up without allocating
            }

            if (!byTenant.TryGetValue(tenant, out var totals))
            {
                totals = new TenantTotals();
                tenants.Add(tenant.ToString(), totals);
            }

            totals.Add(group, bareId, intervals[i], maxGroupSeries);
        }

        if (tenants is null)
        {
            return None;
        }

        var points = new Dictionary<string, LiveMetricsPoint>(tenants.Count, StringComparer.Ordinal);
        foreach (var (tenant, totals) in tenants)
        {
            points.Add(tenant, totals.ToPoint(timestamp));
        }

        return points;
    }

    /// <summary>The point of a tenant without groups at <paramref name="timestamp"/>: zero totals, no series.</summary>
    public static LiveMetricsPoint Empty(DateTimeOffset timestamp) => new(timestamp, EmptyTotal, [], 0, null);

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
