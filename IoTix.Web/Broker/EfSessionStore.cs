using IoTix.Broker.Sessions;
using IoTix.Web.Data;
using Microsoft.EntityFrameworkCore;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace IoTix.Web.Broker;

/// <summary>Persistent sessions in the IoTix database (broker_sessions, broker_subscriptions, broker_queued_messages).</summary>
internal sealed class EfSessionStore(IoTixDatabase database, TimeProvider timeProvider) : ISessionStore
{
    public async Task<IReadOnlyList<StoredSession>?> LoadAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        try
        {
            await using var context = database.CreateDbContext();
            var nowUtc = now.UtcDateTime;

            // Sessions that expired while the broker was down go first.
            await context.Set<BrokerSessionRecord>().Where(s => s.ExpiresAt != null && s.ExpiresAt <= nowUtc).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
            var sessions = await context.Set<BrokerSessionRecord>().AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
            var subscriptions = (await context.Set<BrokerSubscriptionRecord>().AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false))
                .ToLookup(s => s.ClientId, StringComparer.Ordinal);
            var messages = (await context.Set<BrokerQueuedMessageRecord>().AsNoTracking().OrderBy(m => m.ClientId).ThenBy(m => m.Sequence).ToListAsync(cancellationToken).ConfigureAwait(false))
                .ToLookup(m => m.ClientId, StringComparer.Ordinal);

            var result = new List<StoredSession>(sessions.Count);
            foreach (var session in sessions)
            {
                var filters = new List<MqttTopicFilter>();
                Dictionary<string, uint>? identifiers = null;
                foreach (var subscription in subscriptions[session.ClientId])
                {
                    if (subscription.SubscriptionIdentifier > 0)
                    {
                        (identifiers ??= new Dictionary<string, uint>(StringComparer.Ordinal))[subscription.TopicFilter] = (uint)subscription.SubscriptionIdentifier;
                    }

                    filters.Add(new MqttTopicFilter
                    {
                        Topic = subscription.TopicFilter,
                        QualityOfServiceLevel = (MqttQualityOfServiceLevel)subscription.QualityOfService,
                        NoLocal = subscription.NoLocal,
                        RetainAsPublished = subscription.RetainAsPublished,
                        RetainHandling = (MqttRetainHandling)subscription.RetainHandling,
                    });
                }

                var queued = new List<StoredMessage>();
                foreach (var message in messages[session.ClientId])
                {
                    queued.Add(new StoredMessage(message.Sequence, MessageRecordMapping.Read(message)));
                }

                DateTimeOffset? expiresAt = session.ExpiresAt is { } at ? new DateTimeOffset(at, TimeSpan.Zero) : null;
                result.Add(new StoredSession(session.ClientId, (uint)session.ExpirySeconds, expiresAt, filters, queued, identifiers));
            }

            return result;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
            return null;
        }
    }

    public async Task<bool> ApplyAsync(IReadOnlyList<SessionChange> changes, CancellationToken cancellationToken = default)
    {
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        try
        {
            await using var context = database.CreateDbContext();
            await using var transaction = await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var now = timeProvider.GetUtcNow().UtcDateTime;
            foreach (var change in changes)
            {
                switch (change)
                {
                    case MessageQueued queued:
                        var record = new BrokerQueuedMessageRecord { ClientId = queued.ClientId, Sequence = queued.Sequence };
                        MessageRecordMapping.Write(queued.Message, record);
                        context.Add(record);
                        break;
                    case SessionSaved saved:
                        var session = await FindAsync<BrokerSessionRecord>(context, [saved.ClientId], cancellationToken).ConfigureAwait(false);
                        if (session is null)
                        {
                            session = new BrokerSessionRecord { ClientId = saved.ClientId };
                            context.Add(session);
                        }

                        session.ExpirySeconds = saved.ExpirySeconds;
                        session.ExpiresAt = saved.ExpiresAt?.UtcDateTime;
                        session.UpdatedAt = now;
                        break;
                    case SubscriptionSaved subscribed:
                        var subscription = await FindAsync<BrokerSubscriptionRecord>(context, [subscribed.ClientId, subscribed.Filter.Topic], cancellationToken).ConfigureAwait(false);
                        if (subscription is null)
                        {
                            subscription = new BrokerSubscriptionRecord { ClientId = subscribed.ClientId, TopicFilter = subscribed.Filter.Topic };
                            context.Add(subscription);
                        }

                        subscription.QualityOfService = (int)subscribed.Filter.QualityOfServiceLevel;
                        subscription.NoLocal = subscribed.Filter.NoLocal;
                        subscription.RetainAsPublished = subscribed.Filter.RetainAsPublished;
                        subscription.RetainHandling = (int)subscribed.Filter.RetainHandling;
                        subscription.SubscriptionIdentifier = subscribed.SubscriptionIdentifier;
                        break;
                    case SubscriptionDeleted unsubscribed:
                        await FlushAsync(context, cancellationToken).ConfigureAwait(false);
                        await context.Set<BrokerSubscriptionRecord>().Where(s => s.ClientId == unsubscribed.ClientId && s.TopicFilter == unsubscribed.TopicFilter).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
                        break;
                    case MessagesDequeued dequeued:
                        await FlushAsync(context, cancellationToken).ConfigureAwait(false);
                        await context.Set<BrokerQueuedMessageRecord>().Where(m => m.ClientId == dequeued.ClientId && m.Sequence <= dequeued.UpToSequence).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
                        break;
                    case SessionDeleted deleted:
                        await FlushAsync(context, cancellationToken).ConfigureAwait(false);
                        await context.Set<BrokerQueuedMessageRecord>().Where(m => m.ClientId == deleted.ClientId).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
                        await context.Set<BrokerSubscriptionRecord>().Where(s => s.ClientId == deleted.ClientId).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
                        await context.Set<BrokerSessionRecord>().Where(s => s.ClientId == deleted.ClientId).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
                        break;
                }
            }

            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
            return false;
        }
    }

    /// <summary>Pending tracked changes go out before a set-based delete, which bypasses the change tracker.</summary>
    private static async Task FlushAsync(IoTixDbContext context, CancellationToken cancellationToken)
    {
        if (context.ChangeTracker.HasChanges())
        {
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }

        context.ChangeTracker.Clear();
    }

    private static ValueTask<T?> FindAsync<T>(IoTixDbContext context, object[] key, CancellationToken cancellationToken)
        where T : class => context.Set<T>().FindAsync(key, cancellationToken);
}
