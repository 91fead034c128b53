namespace IoTix.Broker.DeadLetters;

/// <summary>The dead-letter queue for the API and the console (FR-033): inspect, re-publish, delete.</summary>
public interface IDeadLetterQueue
{
    /// <summary>Configuration and counters.</summary>
    DeadLetterStatus GetStatus();

    /// <summary>A page, newest first; null when the store is unavailable or absent.</summary>
    Task<DeadLetterPage?> ListAsync(DeadLetterQuery query, CancellationToken cancellationToken = default);

    Task<DeadLetterLookup> GetAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>True when it existed, false when unknown, null when the store is unavailable.</summary>
    Task<bool?> DeleteAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Publishes a dead letter again through the broker, to its own topic or <paramref name="topic"/>, and removes it
    /// from the queue unless <paramref name="keep"/>.
    /// </summary>
    Task<RepublishResult> RepublishAsync(long id, string? topic, bool keep, CancellationToken cancellationToken = default);
}

/// <param name="Enabled">a store exists and <c>Broker:DeadLetters:Enabled</c></param>
/// <param name="Recorded">dead letters stored since start</param>
/// <param name="Dropped">not kept because the queue was full</param>
/// <param name="Skipped">not kept because the store was unavailable</param>
public sealed record DeadLetterStatus(bool Enabled, long MaxMessages, int MaxPayloadBytes, long Recorded, long Queued, long Dropped, long Skipped, bool StoreUnavailable);

public enum RepublishOutcome
{
    Published,
    NotFound,

    /// <summary>Only the first bytes of the payload were kept.</summary>
    PayloadTruncated,

    /// <summary>The broker is not running.</summary>
    BrokerNotRunning,

    StoreUnavailable,

    /// <summary>The target topic is outside the caller's tenant namespace (<c>tenants/{t}/</c>); refused by the host.</summary>
    OutsideNamespace,
}

/// <summary>Answer of <see cref="IDeadLetterQueue.RepublishAsync"/>; <paramref name="Topic"/> is where it went.</summary>
public sealed record RepublishResult(RepublishOutcome Outcome, string? Topic, string Message)
{
    public bool Succeeded => Outcome == RepublishOutcome.Published;
}
