using System.Globalization;
using System.Text;
using IoTix.Broker.Observability;

namespace IoTix.Web.Broker;

/// <summary>Writes <see cref="IBrokerMetrics"/> in the Prometheus text exposition format (version 0.0.4).</summary>
internal static class BrokerPrometheusExporter
{
    public static async Task WriteAsync(HttpContext context, IBrokerMetrics metrics)
    {
        var text = Format(metrics.GetSnapshot());
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await context.Response.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
    }

    internal static string Format(BrokerMetricsSnapshot snapshot)
    {
        var text = new StringBuilder(4096);
        Listener(text, "iotix_broker_connections", "gauge", "Connected MQTT clients.", snapshot, static l => l.ConnectionsCurrent);
        Listener(text, "iotix_broker_connections_total", "counter", "Accepted MQTT connections since start.", snapshot, static l => l.ConnectionsTotal);
        Listener(text, "iotix_broker_connections_rejected_total", "counter", "Connections refused (authentication, client id, rate limit).", snapshot, static l => l.ConnectionsRejected);
        Listener(text, "iotix_broker_messages_received_total", "counter", "PUBLISH packets received from clients.", snapshot, static l => l.MessagesReceived);
        Listener(text, "iotix_broker_messages_sent_total", "counter", "PUBLISH packets sent to clients.", snapshot, static l => l.MessagesSent);
        Listener(text, "iotix_broker_bytes_received_total", "counter", "Bytes received.", snapshot, static l => l.BytesReceived);
        Listener(text, "iotix_broker_bytes_sent_total", "counter", "Bytes sent.", snapshot, static l => l.BytesSent);
        Single(text, "iotix_broker_messages_dropped_total", "counter", "Queued messages dropped because a session queue was full.", snapshot.MessagesDropped);
        Single(text, "iotix_broker_publishes_rejected_total", "counter", "PUBLISH packets denied by the ACL.", snapshot.PublishesRejected);
        Single(text, "iotix_broker_subscriptions", "gauge", "Subscriptions of all sessions.", snapshot.SubscriptionsCurrent);
        Single(text, "iotix_broker_subscriptions_rejected_total", "counter", "Subscriptions denied by the ACL.", snapshot.SubscriptionsRejected);
        Single(text, "iotix_broker_retained_messages", "gauge", "Retained messages stored.", snapshot.RetainedMessages);
        return text.ToString();
    }

    private static void Listener(StringBuilder text, string name, string type, string help, BrokerMetricsSnapshot snapshot, Func<ListenerMetricsSnapshot, long> value)
    {
        Header(text, name, type, help);
        foreach (var listener in snapshot.Listeners)
        {
            text.Append(name).Append("{listener=\"").Append(listener.Listener).Append("\"} ")
                .Append(value(listener).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
    }

    private static void Single(StringBuilder text, string name, string type, string help, long value)
    {
        Header(text, name, type, help);
        text.Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
}
