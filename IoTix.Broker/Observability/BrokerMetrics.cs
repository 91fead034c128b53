using System.Collections.Concurrent;

namespace IoTix.Broker.Observability;

/// <summary>Lock-free counters updated by the listeners and the server events.</summary>
internal sealed class BrokerMetrics : IBrokerMetrics
{
    private readonly ConcurrentDictionary<string, ListenerCounters> _listeners = new(StringComparer.Ordinal);
    private long _connectionsRejected;
    private long _messagesDropped;
    private long _messagesExpired;
    private long _publishesRejected;
    private long _subscriptionsCurrent;
    private long _subscriptionsRejected;
    private long _retainedMessages;
    private long _persistenceDropped;
    private long _persistenceSkipped;

    /// <summary>Reads the retained message count at snapshot time (set by the server when it starts).</summary>
    public Func<long>? RetainedCountProvider { get; set; }

    /// <summary>Reads the persistence queue length at snapshot time.</summary>
    public Func<long>? PersistenceQueueLengthProvider { get; set; }

    public ListenerCounters ForListener(string listener) => _listeners.GetOrAdd(listener, static name => new ListenerCounters(name));

    public void ConnectionRejected() => Interlocked.Increment(ref _connectionsRejected);

    public void MessageDropped() => Interlocked.Increment(ref _messagesDropped);

    public void MessageExpired() => Interlocked.Increment(ref _messagesExpired);

    public void PersistenceDropped() => Interlocked.Increment(ref _persistenceDropped);

    public void PersistenceSkipped(long count) => Interlocked.Add(ref _persistenceSkipped, count);

    public void PublishRejected() => Interlocked.Increment(ref _publishesRejected);

    public void SubscriptionsChanged(long delta) => Interlocked.Add(ref _subscriptionsCurrent, delta);

    public void SubscriptionRejected() => Interlocked.Increment(ref _subscriptionsRejected);

    public void RetainedCount(long count) => Interlocked.Exchange(ref _retainedMessages, count);

    public BrokerMetricsSnapshot GetSnapshot()
    {
        var listeners = new List<ListenerMetricsSnapshot>(_listeners.Count);
        long current = 0, total = 0, rejected = 0, received = 0, sent = 0, bytesIn = 0, bytesOut = 0;
        foreach (var counters in _listeners.Values)
        {
            var snapshot = counters.Snapshot();
            listeners.Add(snapshot);
            current += snapshot.ConnectionsCurrent;
            total += snapshot.ConnectionsTotal;
            rejected += snapshot.ConnectionsRejected;
            received += snapshot.MessagesReceived;
            sent += snapshot.MessagesSent;
            bytesIn += snapshot.BytesReceived;
            bytesOut += snapshot.BytesSent;
        }

        listeners.Sort(static (a, b) => string.CompareOrdinal(a.Listener, b.Listener));
        return new BrokerMetricsSnapshot(
            current,
            total,
            rejected + Interlocked.Read(ref _connectionsRejected),
            received,
            sent,
            bytesIn,
            bytesOut,
            Interlocked.Read(ref _messagesDropped),
            Interlocked.Read(ref _messagesExpired),
            Interlocked.Read(ref _publishesRejected),
            Math.Max(0, Interlocked.Read(ref _subscriptionsCurrent)),
            Interlocked.Read(ref _subscriptionsRejected),
            RetainedCountProvider?.Invoke() ?? Interlocked.Read(ref _retainedMessages),
            PersistenceQueueLengthProvider?.Invoke() ?? 0,
            Interlocked.Read(ref _persistenceDropped),
            Interlocked.Read(ref _persistenceSkipped),
            listeners);
    }
}

/// <summary>Counters one connection keeps for itself (single writer per direction, no shared cache line).</summary>
internal interface IConnectionCounters
{
    long MessagesReceived { get; }

    long MessagesSent { get; }

    long BytesReceived { get; }

    long BytesSent { get; }
}

/// <summary>
/// Counters of one listener. Per-message counts live in each connection (<see cref="IConnectionCounters"/>) and are
/// summed at snapshot time, so the hot path does no atomic operation on memory shared by all connections; a closed
/// connection's counts are folded into the listener's totals.
/// </summary>
internal sealed class ListenerCounters(string listener)
{
    private readonly object _lock = new();
    private readonly HashSet<IConnectionCounters> _live = new(ReferenceEqualityComparer.Instance);
    private long _connectionsCurrent;
    private long _connectionsTotal;
    private long _connectionsRejected;
    private long _messagesReceived;
    private long _messagesSent;
    private long _bytesReceived;
    private long _bytesSent;

    public string Listener { get; } = listener;

    public void Connected()
    {
        Interlocked.Increment(ref _connectionsCurrent);
        Interlocked.Increment(ref _connectionsTotal);
    }

    public void Disconnected() => Interlocked.Decrement(ref _connectionsCurrent);

    public void Rejected() => Interlocked.Increment(ref _connectionsRejected);

    /// <summary>Once per connection, when it is accepted.</summary>
    public void Attach(IConnectionCounters connection)
    {
        lock (_lock)
        {
            _live.Add(connection);
        }
    }

    /// <summary>Once per connection, when it ends: its counts become part of the listener's totals.</summary>
    public void Detach(IConnectionCounters connection)
    {
        lock (_lock)
        {
            if (_live.Remove(connection))
            {
                _messagesReceived += connection.MessagesReceived;
                _messagesSent += connection.MessagesSent;
                _bytesReceived += connection.BytesReceived;
                _bytesSent += connection.BytesSent;
            }
        }
    }

    public ListenerMetricsSnapshot Snapshot()
    {
        long received, sent, bytesIn, bytesOut;
        lock (_lock)
        {
            received = _messagesReceived;
            sent = _messagesSent;
            bytesIn = _bytesReceived;
            bytesOut = _bytesSent;
            foreach (var connection in _live)
            {
                received += connection.MessagesReceived;
                sent += connection.MessagesSent;
                bytesIn += connection.BytesReceived;
                bytesOut += connection.BytesSent;
            }
        }

        return new(
            Listener,
            Interlocked.Read(ref _connectionsCurrent),
            Interlocked.Read(ref _connectionsTotal),
            Interlocked.Read(ref _connectionsRejected),
            received,
            sent,
            bytesIn,
            bytesOut);
    }
}
