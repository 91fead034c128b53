using MQTTnet;
using MQTTnet.Packets;

namespace IoTix.Broker.Sessions;

/// <summary>
/// Where persistent sessions (clean start = 0 with a session expiry) survive a restart (FR-015..FR-017): the session,
/// its subscriptions and the QoS 1/2 messages queued while it was offline. The broker writes through its bounded
/// write-behind queue, never on the MQTT path; a failing store costs persistence, not MQTT service (FR-043a).
/// </summary>
public interface ISessionStore
{
    /// <summary>The sessions not expired at <paramref name="now"/>; null when the store is unavailable.</summary>
    Task<IReadOnlyList<StoredSession>?> LoadAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Applies the changes in order, atomically. False when the store is unavailable (they are not stored).</summary>
    Task<bool> ApplyAsync(IReadOnlyList<SessionChange> changes, CancellationToken cancellationToken = default);
}

/// <summary>
/// A stored session; <see cref="ExpiresAt"/> is null while its client was connected. Each subscription's topic filter is
/// the one the client sent (a shared one as <c>$share/{group}/{filter}</c>); <see cref="SubscriptionIdentifiers"/> maps
/// a topic filter to its MQTT 5 Subscription Identifier (absent: none).
/// </summary>
public sealed record StoredSession(
    string ClientId,
    uint ExpirySeconds,
    DateTimeOffset? ExpiresAt,
    IReadOnlyList<MqttTopicFilter> Subscriptions,
    IReadOnlyList<StoredMessage> Messages,
    IReadOnlyDictionary<string, uint>? SubscriptionIdentifiers = null);

/// <summary>A message queued for an offline session, in <see cref="Sequence"/> order.</summary>
public sealed record StoredMessage(long Sequence, MqttApplicationMessage Message);

/// <summary>One change of a persistent session.</summary>
public abstract record SessionChange(string ClientId);

/// <summary>Creates or updates the session (expiry interval; the instant it expires, null while connected).</summary>
public sealed record SessionSaved(string ClientId, uint ExpirySeconds, DateTimeOffset? ExpiresAt) : SessionChange(ClientId);

/// <summary>Deletes the session with its subscriptions and queued messages.</summary>
public sealed record SessionDeleted(string ClientId) : SessionChange(ClientId);

/// <summary>Creates or replaces a subscription: the filter as the client sent it, its options, its Subscription Identifier (0 = none).</summary>
public sealed record SubscriptionSaved(string ClientId, MqttTopicFilter Filter, uint SubscriptionIdentifier = 0) : SessionChange(ClientId);

public sealed record SubscriptionDeleted(string ClientId, string TopicFilter) : SessionChange(ClientId);

public sealed record MessageQueued(string ClientId, long Sequence, MqttApplicationMessage Message) : SessionChange(ClientId);

/// <summary>Deletes the queued messages with a sequence up to and including <see cref="UpToSequence"/>.</summary>
public sealed record MessagesDequeued(string ClientId, long UpToSequence) : SessionChange(ClientId);
