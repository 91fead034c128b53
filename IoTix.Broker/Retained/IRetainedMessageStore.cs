using MQTTnet;

namespace IoTix.Broker.Retained;

/// <summary>
/// Where retained messages survive a restart (FR-004). The host registers one (IoTix.Web: the database);
/// without one they live in memory only. A failing store must not stop MQTT: the broker logs and keeps serving
/// (FR-043a).
/// </summary>
public interface IRetainedMessageStore
{
    Task<IReadOnlyList<MqttApplicationMessage>> LoadAsync(CancellationToken cancellationToken = default);

    /// <summary>Stores or replaces the retained message of its topic; an empty payload deletes it.</summary>
    Task SaveAsync(MqttApplicationMessage message, CancellationToken cancellationToken = default);

    Task ClearAsync(CancellationToken cancellationToken = default);
}
