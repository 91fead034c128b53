using IoTix.Broker.Observability;
using Prometheus;

namespace IoTix.Web.Broker;

/// <summary>
/// Publishes the broker's <see cref="IBrokerMetrics"/> snapshot through prometheus-net: the collectors live in the
/// host's own <see cref="CollectorRegistry"/> (no process-wide state) and take the snapshot's values just before
/// each scrape of /metrics.
/// </summary>
internal sealed class BrokerPrometheusMetrics
{
    private const string ListenerLabel = "listener";

    private readonly IBrokerMetrics _metrics;
    private readonly Gauge _connections;
    private readonly Counter _connectionsTotal;
    private readonly Counter _connectionsRejected;
    private readonly Counter _messagesReceived;
    private readonly Counter _messagesSent;
    private readonly Counter _bytesReceived;
    private readonly Counter _bytesSent;
    private readonly Counter _messagesDropped;
    private readonly Counter _messagesExpired;
    private readonly Counter _publishesRejected;
    private readonly Gauge _subscriptions;
    private readonly Counter _subscriptionsRejected;
    private readonly Gauge _retainedMessages;
    private readonly Gauge _persistenceQueueLength;
    private readonly Counter _persistenceDropped;
    private readonly Counter _persistenceSkipped;

    public BrokerPrometheusMetrics(CollectorRegistry registry, IBrokerMetrics metrics)
    {
        _metrics = metrics;
        var factory = Metrics.WithCustomRegistry(registry);
        _connections = factory.CreateGauge("iotix_broker_connections", "Connected MQTT clients.", ListenerLabel);
        _connectionsTotal = factory.CreateCounter("iotix_broker_connections_total", "Accepted MQTT connections since start.", ListenerLabel);
        _connectionsRejected = factory.CreateCounter("iotix_broker_connections_rejected_total", "Connections refused (authentication, client id, rate limit).", ListenerLabel);
        _messagesReceived = factory.CreateCounter("iotix_broker_messages_received_total", "PUBLISH packets received from clients.", ListenerLabel);
        _messagesSent = factory.CreateCounter("iotix_broker_messages_sent_total", "PUBLISH packets sent to clients.", ListenerLabel);
        _bytesReceived = factory.CreateCounter("iotix_broker_bytes_received_total", "Bytes received.", ListenerLabel);
        _bytesSent = factory.CreateCounter("iotix_broker_bytes_sent_total", "Bytes sent.", ListenerLabel);
        _messagesDropped = factory.CreateCounter("iotix_broker_messages_dropped_total", "Queued messages dropped because a session queue was full.");
        _messagesExpired = factory.CreateCounter("iotix_broker_messages_expired_total", "Queued or retained messages not delivered because their Message Expiry Interval had passed.");
        _publishesRejected = factory.CreateCounter("iotix_broker_publishes_rejected_total", "PUBLISH packets denied by the ACL.");
        _subscriptions = factory.CreateGauge("iotix_broker_subscriptions", "Subscriptions of all sessions.");
        _subscriptionsRejected = factory.CreateCounter("iotix_broker_subscriptions_rejected_total", "Subscriptions denied by the ACL.");
        _retainedMessages = factory.CreateGauge("iotix_broker_retained_messages", "Retained messages stored.");
        _persistenceQueueLength = factory.CreateGauge("iotix_broker_persistence_queue_length", "Retained/session changes waiting in the write-behind queue.");
        _persistenceDropped = factory.CreateCounter("iotix_broker_persistence_dropped_total", "Changes not persisted because the write-behind queue was full.");
        _persistenceSkipped = factory.CreateCounter("iotix_broker_persistence_skipped_total", "Changes not persisted because the store was unavailable.");
        registry.AddBeforeCollectCallback(Update);
    }

    /// <summary>Copies the current snapshot into the collectors (counters only move forward).</summary>
    internal void Update()
    {
        var snapshot = _metrics.GetSnapshot();
        foreach (var listener in snapshot.Listeners)
        {
            _connections.WithLabels(listener.Listener).Set(listener.ConnectionsCurrent);
            _connectionsTotal.WithLabels(listener.Listener).IncTo(listener.ConnectionsTotal);
            _connectionsRejected.WithLabels(listener.Listener).IncTo(listener.ConnectionsRejected);
            _messagesReceived.WithLabels(listener.Listener).IncTo(listener.MessagesReceived);
            _messagesSent.WithLabels(listener.Listener).IncTo(listener.MessagesSent);
            _bytesReceived.WithLabels(listener.Listener).IncTo(listener.BytesReceived);
            _bytesSent.WithLabels(listener.Listener).IncTo(listener.BytesSent);
        }

        _messagesDropped.IncTo(snapshot.MessagesDropped);
        _messagesExpired.IncTo(snapshot.MessagesExpired);
        _publishesRejected.IncTo(snapshot.PublishesRejected);
        _subscriptions.Set(snapshot.SubscriptionsCurrent);
        _subscriptionsRejected.IncTo(snapshot.SubscriptionsRejected);
        _retainedMessages.Set(snapshot.RetainedMessages);
        _persistenceQueueLength.Set(snapshot.PersistenceQueueLength);
        _persistenceDropped.IncTo(snapshot.PersistenceDropped);
        _persistenceSkipped.IncTo(snapshot.PersistenceSkipped);
    }
}
