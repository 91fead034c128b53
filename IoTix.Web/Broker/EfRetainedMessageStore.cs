using IoTix.Broker.Retained;
using IoTix.Web.Data;
using Microsoft.EntityFrameworkCore;
using MQTTnet;

namespace IoTix.Web.Broker;

/// <summary>Retained messages in the IoTix database (table broker_retained_messages).</summary>
internal sealed partial class EfRetainedMessageStore(IoTixDatabase database, TimeProvider timeProvider, ILogger<EfRetainedMessageStore> logger) : IRetainedMessageStore
{
    public async Task<IReadOnlyList<MqttApplicationMessage>?> LoadAsync(CancellationToken cancellationToken = default)
    {
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        try
        {
            await using var context = database.CreateDbContext();
            var records = await context.Set<RetainedMessageRecord>().AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
            var messages = new List<MqttApplicationMessage>(records.Count);
            foreach (var record in records)
            {
                messages.Add(MessageRecordMapping.Read(record));
            }

            LogLoaded(logger, messages.Count);
            return messages;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
            return null;
        }
    }

    public async Task<bool> SaveAsync(IReadOnlyList<MqttApplicationMessage> messages, CancellationToken cancellationToken = default)
    {
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        try
        {
            await using var context = database.CreateDbContext();
            var set = context.Set<RetainedMessageRecord>();
            var topics = new List<string>(messages.Count);
            foreach (var message in messages)
            {
                topics.Add(message.Topic);
            }

            var existing = await set.Where(r => topics.Contains(r.Topic)).ToDictionaryAsync(r => r.Topic, StringComparer.Ordinal, cancellationToken).ConfigureAwait(false);
            var now = timeProvider.GetUtcNow().UtcDateTime;
            foreach (var message in messages)
            {
                existing.TryGetValue(message.Topic, out var record);
                if (message.Payload.IsEmpty)
                {
                    if (record is not null)
                    {
                        set.Remove(record);
                    }

                    continue;
                }

                if (record is null)
                {
                    record = new RetainedMessageRecord();
                    set.Add(record);
                }

                MessageRecordMapping.Write(message, record);
                record.UpdatedAt = now;
            }

            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
            return false;
        }
    }

    public async Task<bool> ClearAsync(CancellationToken cancellationToken = default)
    {
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        try
        {
            await using var context = database.CreateDbContext();
            await context.Set<RetainedMessageRecord>().ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
            return false;
        }
    }

    [LoggerMessage(EventId = 1601, Level = LogLevel.Information, Message = "Loaded {Count} retained messages from the database")]
    private static partial void LogLoaded(ILogger logger, int count);
}
