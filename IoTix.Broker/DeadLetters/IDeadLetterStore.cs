using IoTix.Broker.History;

namespace IoTix.Broker.DeadLetters;

/// <summary>Why a message could not be delivered (FR-033). See docs/broker.md for what MQTTnet lets IoTix detect.</summary>
public enum DeadLetterReason
{
    /// <summary>A session's queue was full (<c>Broker:MaxPendingMessagesPerClient</c>): the oldest queued message was dropped.</summary>
    QueueOverflow,

    /// <summary>A persistent session expired while messages were still queued for it.</summary>
    SessionExpired,

    /// <summary>The ACL refused the PUBLISH (PUBACK 0x87 Not authorized).</summary>
    AclDenied,

    /// <summary>The payload exceeded <c>Broker:MaxPayloadBytes</c> (DISCONNECT 0x95 Packet too large).</summary>
    PayloadTooLarge,
}

/// <summary>Names of the reasons as the API and the console spell them.</summary>
public static class DeadLetterReasons
{
    public const string Names = "queue_overflow, session_expired, acl_denied, payload_too_large";

    public static string Name(DeadLetterReason reason) => reason switch
    {
        DeadLetterReason.QueueOverflow => "queue_overflow",
        DeadLetterReason.SessionExpired => "session_expired",
        DeadLetterReason.AclDenied => "acl_denied",
        _ => "payload_too_large",
    };

    public static bool TryParse(string? text, out DeadLetterReason reason)
    {
        foreach (var candidate in Enum.GetValues<DeadLetterReason>())
        {
            if (string.Equals(Name(candidate), text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                reason = candidate;
                return true;
            }
        }

        reason = default;
        return false;
    }
}

/// <summary>
/// A message that could not be delivered.
/// </summary>
/// <param name="Id">assigned by the store (0 before)</param>
/// <param name="ClientId">the receiver whose queue overflowed or whose session expired; the publisher for ACL and size rejections</param>
/// <param name="PublisherClientId">who published it, when known</param>
/// <param name="PayloadBytes">size of the original payload; <see cref="CapturedMessage.Payload"/> holds at most <c>Broker:DeadLetters:MaxPayloadBytes</c> of it</param>
public sealed record DeadLetter(
    long Id,
    DateTimeOffset Timestamp,
    DeadLetterReason Reason,
    string ClientId,
    string? PublisherClientId,
    long PayloadBytes,
    CapturedMessage Message)
{
    /// <summary>True when only the first bytes of the payload were kept (it cannot be re-published).</summary>
    public bool PayloadTruncated => PayloadBytes > Message.Payload.Length;
}

/// <summary>A page request over dead letters, newest first: filter by reason and topic filter (MQTT wildcards).</summary>
public sealed record DeadLetterQuery(DeadLetterReason? Reason, string? TopicFilter, int Offset, int Limit);

/// <summary>One page of dead letters and how many match in all.</summary>
public sealed record DeadLetterPage(IReadOnlyList<DeadLetter> Items, int Total);

/// <summary>
/// Where dead letters live (FR-033). The host registers one (IoTix.Web: the database); without one nothing is kept.
/// Written from a background writer, never on the MQTT path; unavailable answers are values (false / null).
/// </summary>
public interface IDeadLetterStore
{
    /// <summary>Stores dead letters, then deletes the oldest beyond <paramref name="maxMessages"/>. False when unavailable.</summary>
    Task<bool> AppendAsync(IReadOnlyList<DeadLetter> deadLetters, long maxMessages, CancellationToken cancellationToken = default);

    /// <summary>A page, newest first; null when unavailable.</summary>
    Task<DeadLetterPage?> ListAsync(DeadLetterQuery query, CancellationToken cancellationToken = default);

    /// <summary>One dead letter (null when unknown); <see cref="DeadLetterLookup.Available"/> false when the store is unavailable.</summary>
    Task<DeadLetterLookup> GetAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Deletes one; true when it existed, false when unknown, null when the store is unavailable.</summary>
    Task<bool?> DeleteAsync(long id, CancellationToken cancellationToken = default);
}

/// <summary>Answer of <see cref="IDeadLetterStore.GetAsync"/>.</summary>
public readonly record struct DeadLetterLookup(bool Available, DeadLetter? DeadLetter);
