using IoTix.Broker.DeadLetters;
using IoTix.Broker.Security;
using IoTix.Web.Data;
using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace IoTix.Web.History;

/// <summary>
/// Dead letters in the IoTix database (table broker_dead_letters), at most <c>Broker:DeadLetters:MaxMessages</c> per
/// tenant: each append deletes a tenant's oldest beyond the cap (<see cref="TenantMessageCap"/>). Each belongs to the tenant of its topic's namespace,
/// else of its client id's (<see cref="KnownTenants"/>). The <see cref="IDeadLetterStore"/> methods act for the
/// caller's tenant (<see cref="TenantScope.Current"/>). An unavailable database answers false / null (FR-043a).
/// </summary>
internal sealed class EfDeadLetterStore(IoTixDatabase database, KnownTenants tenants) : IDeadLetterStore
{
    public async Task<bool> AppendAsync(IReadOnlyList<DeadLetter> deadLetters, long maxMessages, CancellationToken cancellationToken = default)
    {
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        try
        {
            await tenants.PrepareAsync(deadLetters, cancellationToken).ConfigureAwait(false);
            await using var context = database.CreateDbContext();
            context.TenantId = null; // host work: each record names its own tenant; the cap applies per tenant
            var set = context.Set<DeadLetterRecord>();
            foreach (var deadLetter in deadLetters)
            {
                var record = new DeadLetterRecord
                {
                    TenantId = tenants.TenantOf(deadLetter),
                    Timestamp = deadLetter.Timestamp.UtcDateTime,
                    Reason = (int)deadLetter.Reason,
                    ClientId = deadLetter.ClientId,
                    PublisherClientId = deadLetter.PublisherClientId,
                    PayloadBytes = deadLetter.PayloadBytes,
                };
                CapturedMessageMapping.Write(deadLetter.Message, record);
                set.Add(record);
            }

            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            await TenantMessageCap.TrimAsync(set, maxMessages, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
            return false;
        }
    }

    public Task<DeadLetterPage?> ListAsync(DeadLetterQuery query, CancellationToken cancellationToken = default) =>
        ListAsync(TenantScope.Current, query, cancellationToken);

    /// <summary>A page of one tenant's dead letters, newest first.</summary>
    public async Task<DeadLetterPage?> ListAsync(string tenantId, DeadLetterQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        try
        {
            await using var context = database.CreateDbContext();
            context.TenantId = tenantId;
            var rows = context.Set<DeadLetterRecord>().AsNoTracking().Where(m => m.TenantId == tenantId);
            if (query.Reason is { } reason)
            {
                var code = (int)reason;
                rows = rows.Where(m => m.Reason == code);
            }

            if (query.TopicFilter is { Length: > 0 } filter)
            {
                var (prefix, exact) = CapturedMessageMapping.LiteralPrefix(filter);
                var below = prefix + "/";
                if (exact)
                {
                    rows = rows.Where(m => m.Topic == prefix);
                }
                else if (prefix.Length > 0)
                {
                    rows = rows.Where(m => m.Topic == prefix || m.Topic.StartsWith(below));
                }

                // The queue is bounded (Broker:DeadLetters:MaxMessages): match the wildcards over its ids and topics.
                var candidates = await rows.OrderByDescending(m => m.Id).Select(m => new { m.Id, m.Topic }).ToListAsync(cancellationToken).ConfigureAwait(false);
                var ids = new List<long>();
                var total = 0;
                foreach (var candidate in candidates)
                {
                    if (MqttTopicMatch.Matches(filter, candidate.Topic))
                    {
                        if (total >= query.Offset && ids.Count < query.Limit)
                        {
                            ids.Add(candidate.Id);
                        }

                        total++;
                    }
                }

                var selected = await rows.Where(m => ids.Contains(m.Id)).OrderByDescending(m => m.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
                return new DeadLetterPage(ToDeadLetters(selected), total);
            }

            var count = await rows.CountAsync(cancellationToken).ConfigureAwait(false);
            var records = await rows.OrderByDescending(m => m.Id).Skip(query.Offset).Take(query.Limit).ToListAsync(cancellationToken).ConfigureAwait(false);
            return new DeadLetterPage(ToDeadLetters(records), count);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
            return null;
        }
    }

    public Task<DeadLetterLookup> GetAsync(long id, CancellationToken cancellationToken = default) =>
        GetAsync(TenantScope.Current, id, cancellationToken);

    /// <summary>One of a tenant's dead letters; another tenant's is not found.</summary>
    public async Task<DeadLetterLookup> GetAsync(string tenantId, long id, CancellationToken cancellationToken = default)
    {
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            return new DeadLetterLookup(false, null);
        }

        try
        {
            await using var context = database.CreateDbContext();
            context.TenantId = tenantId;
            var record = await context.Set<DeadLetterRecord>().AsNoTracking().FirstOrDefaultAsync(m => m.Id == id && m.TenantId == tenantId, cancellationToken).ConfigureAwait(false);
            return new DeadLetterLookup(true, record is null ? null : ToDeadLetter(record));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
            return new DeadLetterLookup(false, null);
        }
    }

    public Task<bool?> DeleteAsync(long id, CancellationToken cancellationToken = default) =>
        DeleteAsync(TenantScope.Current, id, cancellationToken);

    public async Task<bool?> DeleteAsync(string tenantId, long id, CancellationToken cancellationToken = default)
    {
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        try
        {
            await using var context = database.CreateDbContext();
            context.TenantId = tenantId;
            return await context.Set<DeadLetterRecord>().Where(m => m.Id == id && m.TenantId == tenantId).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false) > 0;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
            return null;
        }
    }

    private static List<DeadLetter> ToDeadLetters(List<DeadLetterRecord> records)
    {
        var result = new List<DeadLetter>(records.Count);
        foreach (var record in records)
        {
            result.Add(ToDeadLetter(record));
        }

        return result;
    }

    private static DeadLetter ToDeadLetter(DeadLetterRecord record) => new(
        record.Id,
        new DateTimeOffset(record.Timestamp, TimeSpan.Zero),
        (DeadLetterReason)record.Reason,
        record.ClientId,
        record.PublisherClientId,
        record.PayloadBytes,
        CapturedMessageMapping.Read(record));
}
