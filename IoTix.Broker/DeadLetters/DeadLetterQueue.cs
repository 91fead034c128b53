using IoTix.Broker.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IoTix.Broker.DeadLetters;

/// <summary>The dead-letter queue over <see cref="IDeadLetterStore"/>; re-publishes through the hosted broker.</summary>
internal sealed partial class DeadLetterQueue(DeadLetterRecorder recorder, BrokerHostedService broker, IOptions<DeadLetterOptions> options, ILogger<DeadLetterQueue> logger) : IDeadLetterQueue
{
    public DeadLetterStatus GetStatus()
    {
        var writer = recorder.Writer;
        return new DeadLetterStatus(
            recorder.IsEnabled,
            options.Value.MaxMessages,
            options.Value.MaxPayloadBytes,
            writer?.Written ?? 0,
            writer?.Queued ?? 0,
            writer?.Dropped ?? 0,
            writer?.Skipped ?? 0,
            writer?.StoreUnavailable ?? false);
    }

    public Task<DeadLetterPage?> ListAsync(DeadLetterQuery query, CancellationToken cancellationToken = default) =>
        recorder.Store is { } store ? store.ListAsync(query, cancellationToken) : Task.FromResult<DeadLetterPage?>(null);

    public Task<DeadLetterLookup> GetAsync(long id, CancellationToken cancellationToken = default) =>
        recorder.Store is { } store ? store.GetAsync(id, cancellationToken) : Task.FromResult(new DeadLetterLookup(false, null));

    public Task<bool?> DeleteAsync(long id, CancellationToken cancellationToken = default) =>
        recorder.Store is { } store ? store.DeleteAsync(id, cancellationToken) : Task.FromResult<bool?>(null);

    public async Task<RepublishResult> RepublishAsync(long id, string? topic, bool keep, CancellationToken cancellationToken = default)
    {
        var lookup = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (!lookup.Available)
        {
            return new RepublishResult(RepublishOutcome.StoreUnavailable, null, "the dead-letter store is unavailable");
        }

        if (lookup.DeadLetter is not { } deadLetter)
        {
            return new RepublishResult(RepublishOutcome.NotFound, null, $"dead letter {id} not found");
        }

        if (deadLetter.PayloadTruncated)
        {
            return new RepublishResult(RepublishOutcome.PayloadTruncated, null, $"only {deadLetter.Message.Payload.Length} of its {deadLetter.PayloadBytes} payload bytes were kept (Broker:DeadLetters:MaxPayloadBytes); it cannot be published again");
        }

        var target = string.IsNullOrEmpty(topic) ? deadLetter.Message.Topic : topic;
        if (!await broker.InjectAsync(deadLetter.Message.ToApplicationMessage(target), InternalPublisher.DeadLetterClientId, cancellationToken).ConfigureAwait(false))
        {
            return new RepublishResult(RepublishOutcome.BrokerNotRunning, null, "the broker is not running");
        }

        LogRepublished(logger, id, DeadLetterReasons.Name(deadLetter.Reason), target);
        if (!keep)
        {
            await DeleteAsync(id, cancellationToken).ConfigureAwait(false);
        }

        return new RepublishResult(RepublishOutcome.Published, target, keep ? $"published to {target}" : $"published to {target} and removed from the queue");
    }

    [LoggerMessage(EventId = 1931, Level = LogLevel.Information, Message = "Dead letter {Id} ({Reason}) published again to {Topic}")]
    private static partial void LogRepublished(ILogger logger, long id, string reason, string topic);
}
