using MQTTnet;

namespace IoTix.Broker.Retained;

/// <summary>
/// Where retained messages survive a restart (FR-004). The host registers one (IoTix.Web: the database); without
/// one they live in memory only. The broker calls it from its write-behind queue, never on the MQTT path, and
/// keeps serving when it fails (FR-043a).
/// </summary>
public interface IRetainedMessageStore
{
    /// <summary>All stored retained messages; null when the store is unavailable.</summary>
    Task<IReadOnlyList<MqttApplicationMessage>?> LoadAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores or replaces the retained message of each message's topic, in order; an empty payload deletes it.
    /// False when the store is unavailable (the changes are not stored).
    /// </summary>
    Task<bool> SaveAsync(IReadOnlyList<MqttApplicationMessage> messages, CancellationToken cancellationToken = default);

    /// <summary>Deletes every retained message. False when the store is unavailable.</summary>
    Task<bool> ClearAsync(CancellationToken cancellationToken = default);
}
