namespace IoTix.Web.LiveMetrics;

/// <summary>
/// One sample of the live metrics: the simulation in total, each group (up to
/// <see cref="LiveMetricsOptions.MaxGroupSeries"/>), and the hosted broker. Rates are per second over the time since
/// the previous sample, computed from the engine's and broker's monotonic counters.
/// </summary>
/// <remarks>
/// Publish latency (<see cref="SeriesSample.PublishLatency"/>) covers the publishes acknowledged since the previous
/// sample (MQTT QoS 1/2: PUBLISH written -> PUBACK/PUBCOMP), from the engine's latency histograms.
/// </remarks>
/// <param name="Timestamp">When the sample was taken.</param>
/// <param name="Total">All devices of the engine; in a tenant's view (<see cref="ILiveMetrics.LatestFor"/>), the sum of its groups.</param>
/// <param name="Groups">Groups by id (ordinal order): engine keys in the engine-wide point (a tenant's group is <c>tenants/{t}/{id}</c>), bare ids in a tenant's view.</param>
/// <param name="OmittedGroups">Groups left out of <paramref name="Groups"/> by the <see cref="LiveMetricsOptions.MaxGroupSeries"/> bound.</param>
/// <param name="Broker">The hosted broker, or null when it is disabled (<c>Broker:Enabled=false</c>) and always in a tenant's view (the broker is the platform's).</param>
public sealed record LiveMetricsPoint(
    DateTimeOffset Timestamp,
    SeriesSample Total,
    IReadOnlyList<SeriesSample> Groups,
    int OmittedGroups,
    BrokerSample? Broker);

/// <summary>Counters and rates of the whole simulation or of one group.</summary>
/// <param name="Key">The group id, or <see cref="TotalKey"/> for the whole simulation.</param>
/// <param name="Devices">Devices that exist.</param>
/// <param name="Connected">Devices in the running state (connected and publishing).</param>
/// <param name="MessagesPerSecond">Messages published per second since the previous sample.</param>
/// <param name="ErrorsPerSecond">Messages that failed (refused, queue full, transport error) per second since the previous sample.</param>
/// <param name="BytesPerSecond">Payload bytes published per second since the previous sample.</param>
/// <param name="MessagesSent">Messages published in total.</param>
/// <param name="MessagesFailed">Failed messages in total.</param>
/// <param name="Dropped">Devices in the dropped state.</param>
/// <param name="Reconnecting">Devices in the reconnecting state.</param>
/// <param name="Failed">Devices in the failed state.</param>
public sealed record SeriesSample(
    string Key,
    int Devices,
    int Connected,
    double MessagesPerSecond,
    double ErrorsPerSecond,
    double BytesPerSecond,
    long MessagesSent,
    long MessagesFailed,
    int Dropped,
    int Reconnecting,
    int Failed)
{
    /// <summary>The <see cref="Key"/> of the whole simulation's series.</summary>
    public const string TotalKey = "total";

    /// <summary>Latency of the publishes acknowledged since the previous sample, or null when none was.</summary>
    public LatencySample? PublishLatency { get; init; }
}

/// <summary>Publish latency percentiles over one sampling interval, in milliseconds.</summary>
/// <param name="Count">Publishes acknowledged in the interval.</param>
public sealed record LatencySample(long Count, double P50Ms, double P95Ms, double P99Ms, double MaxMs);

/// <summary>The hosted broker at one sample.</summary>
/// <param name="Connections">Clients connected now.</param>
/// <param name="MessagesInPerSecond">PUBLISH packets received per second since the previous sample.</param>
/// <param name="MessagesOutPerSecond">PUBLISH packets delivered to subscribers per second.</param>
/// <param name="DroppedPerSecond">Messages dropped (full session queues, expiry, rejected publishes) per second.</param>
/// <param name="Subscriptions">Subscriptions now.</param>
public sealed record BrokerSample(
    long Connections,
    double MessagesInPerSecond,
    double MessagesOutPerSecond,
    double DroppedPerSecond,
    long Subscriptions);
