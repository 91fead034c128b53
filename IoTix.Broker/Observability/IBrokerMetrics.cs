namespace IoTix.Broker.Observability;

/// <summary>Live counters of the hosted broker, for the console and the /metrics endpoint.</summary>
public interface IBrokerMetrics
{
    BrokerMetricsSnapshot GetSnapshot();
}

/// <summary>Totals since start (monotonic) and current values (gauges) at one instant.</summary>
public sealed record BrokerMetricsSnapshot(
    long ConnectionsCurrent,
    long ConnectionsTotal,
    long ConnectionsRejected,
    long MessagesReceived,
    long MessagesSent,
    long BytesReceived,
    long BytesSent,
    long MessagesDropped,
    long MessagesExpired,
    long PublishesRejected,
    long SubscriptionsCurrent,
    long SubscriptionsRejected,
    long RetainedMessages,
    long PersistenceQueueLength,
    long PersistenceDropped,
    long PersistenceSkipped,
    IReadOnlyList<ListenerMetricsSnapshot> Listeners);

/// <summary>Per listener (tcp, tls, ws, wss) counters.</summary>
public sealed record ListenerMetricsSnapshot(
    string Listener,
    long ConnectionsCurrent,
    long ConnectionsTotal,
    long ConnectionsRejected,
    long MessagesReceived,
    long MessagesSent,
    long BytesReceived,
    long BytesSent);

/// <summary>Whether the broker is listening, for the readiness probe.</summary>
public interface IBrokerStatus
{
    bool IsListening { get; }

    /// <summary>Listener name to bound TCP port (the real port when configured with an ephemeral one).</summary>
    IReadOnlyDictionary<string, int> BoundPorts { get; }
}
