using IoTix.Broker.History;
using IoTix.Broker.Security;
using IoTix.Web.Data;
using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace IoTix.Web.History;

/// <summary>
/// Message history in the IoTix database (table broker_history). Each message belongs to the tenant of its topic's
/// namespace (<see cref="KnownTenants"/>). Queries narrow by tenant (the query's, else the caller's), time range,
/// cursor and the filter's literal prefix in SQL, in (timestamp, id) order, and apply the MQTT wildcards to each row,
/// reading in chunks until the page is full. An unavailable database answers false / null (FR-043a).
/// </summary>
internal sealed class EfHistoryStore(IoTixDatabase database, KnownTenants tenants) : IHistoryStore
{
    private const int MinChunk = 200;
    private const int MaxChunk = 5000;

    public async Task<bool> AppendAsync(IReadOnlyList<HistoryMessage> messages, CancellationToken cancellationToken = default)
    {
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        try
        {
            await tenants.PrepareAsync(messages, cancellationToken).ConfigureAwait(false);
            await using var context = database.CreateDbContext();
            context.TenantId = null; // host work: each record names its own tenant
            var set = context.Set<HistoryMessageRecord>();
            foreach (var message in messages)
            {
                var record = new HistoryMessageRecord { TenantId = tenants.TenantOfTopic(message.Message.Topic), Timestamp = message.Timestamp.UtcDateTime, ClientId = message.ClientId };
                CapturedMessageMapping.Write(message.Message, record);
                set.Add(record);
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

    /// <summary>The query over the messages of its tenant (<see cref="HistoryQuery.Tenant"/>, else the caller's: <see cref="TenantScope.Current"/>).</summary>
    public async Task<HistoryPage?> QueryAsync(HistoryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        try
        {
            var tenantId = query.Tenant ?? TenantScope.Current;
            await using var context = database.CreateDbContext();
            context.TenantId = tenantId;
            var (prefix, exact) = CapturedMessageMapping.LiteralPrefix(query.TopicFilter);
            var below = prefix + "/";
            var rows = context.Set<HistoryMessageRecord>().AsNoTracking().Where(m => m.TenantId == tenantId);
            if (exact)
            {
                rows = rows.Where(m => m.Topic == prefix);
            }
            else if (prefix.Length > 0)
            {
                rows = rows.Where(m => m.Topic == prefix || m.Topic.StartsWith(below));
            }

            if (query.From is { } from)
            {
                var fromUtc = from.UtcDateTime;
                rows = rows.Where(m => m.Timestamp >= fromUtc);
            }

            if (query.To is { } to)
            {
                var toUtc = to.UtcDateTime;
                rows = rows.Where(m => m.Timestamp < toUtc);
            }

            var items = new List<HistoryMessage>(Math.Min(query.Limit + 1, 1024));
            var skip = query.Offset;
            var after = query.After;
            var chunk = Math.Clamp((query.Limit + 1) * 2, MinChunk, MaxChunk);
            while (items.Count <= query.Limit)
            {
                var page = rows;
                if (after is { } cursor)
                {
                    var time = cursor.Timestamp.UtcDateTime;
                    var id = cursor.Id;
                    page = page.Where(m => m.Timestamp > time || (m.Timestamp == time && m.Id > id));
                }

                var records = await page.OrderBy(m => m.Timestamp).ThenBy(m => m.Id).Take(chunk).ToListAsync(cancellationToken).ConfigureAwait(false);
                foreach (var record in records)
                {
                    if (!MqttTopicMatch.Matches(query.TopicFilter, record.Topic))
                    {
                        continue;
                    }

                    if (skip > 0)
                    {
                        skip--;
                        continue;
                    }

                    items.Add(ToMessage(record));
                    if (items.Count > query.Limit)
                    {
                        break;
                    }
                }

                if (records.Count < chunk || items.Count > query.Limit)
                {
                    break;
                }

                after = new HistoryCursor(new DateTimeOffset(records[^1].Timestamp, TimeSpan.Zero), records[^1].Id);
            }

            HistoryCursor? next = null;
            if (items.Count > query.Limit)
            {
                items.RemoveAt(items.Count - 1);
                next = HistoryCursor.After(items[^1]);
            }

            return new HistoryPage(items, next);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
            return null;
        }
    }

    public async Task<long?> PurgeAsync(DateTimeOffset olderThan, long maxMessages, CancellationToken cancellationToken = default)
    {
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        try
        {
            await using var context = database.CreateDbContext();
            context.TenantId = null; // every tenant's messages
            var set = context.Set<HistoryMessageRecord>();
            var cutoff = olderThan.UtcDateTime;
            long deleted = await set.Where(m => m.Timestamp < cutoff).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
            deleted += await TenantMessageCap.TrimAsync(set, maxMessages, cancellationToken).ConfigureAwait(false);
            return deleted;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
            return null;
        }
    }

    /// <summary>Deletes one tenant's messages captured before <paramref name="olderThan"/> (its shorter retention); null when unavailable.</summary>
    public async Task<long?> PurgeTenantAsync(string tenantId, DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        try
        {
            await using var context = database.CreateDbContext();
            context.TenantId = tenantId;
            var cutoff = olderThan.UtcDateTime;
            return await context.Set<HistoryMessageRecord>().Where(m => m.TenantId == tenantId && m.Timestamp < cutoff).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
            return null;
        }
    }

    private static HistoryMessage ToMessage(HistoryMessageRecord record) =>
        new(record.Id, new DateTimeOffset(record.Timestamp, TimeSpan.Zero), record.ClientId, CapturedMessageMapping.Read(record));
}
