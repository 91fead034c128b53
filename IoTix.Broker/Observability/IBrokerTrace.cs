namespace IoTix.Broker.Observability;

/// <summary>
/// Packet-level tracing for selected topic filters and client ids (FR-028), switchable at run time: filters come from
/// <c>Broker:Trace:TopicFilters</c> / <c>Broker:Trace:ClientIds</c> (reloaded on change) plus those added here.
/// Each traced packet is one Information line (category IoTix.Broker.Trace) with client id, direction, packet type,
/// topic, QoS, payload size, correlation id and, when <c>Broker:Trace:PayloadPreviewBytes</c> &gt; 0, a payload preview.
/// </summary>
public interface IBrokerTrace
{
    bool IsActive { get; }

    IReadOnlyCollection<string> TopicFilters { get; }

    IReadOnlyCollection<string> ClientIds { get; }

    void AddTopicFilter(string topicFilter);

    bool RemoveTopicFilter(string topicFilter);

    void AddClientId(string clientId);

    bool RemoveClientId(string clientId);
}
