using IoTix.Web.Data;
using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Audit;

/// <summary>An entry to append.</summary>
public sealed record AuditEntry(string TenantId, string Actor, string Action, string Target, string Outcome, int? StatusCode = null, string? RemoteIp = null, string? Details = null);

/// <summary>A filter over the caller's tenant's audit log.</summary>
public sealed record AuditQuery(string? Actor = null, string? Action = null, string? Outcome = null, DateTimeOffset? From = null, DateTimeOffset? To = null, int Limit = 1000);

/// <summary>The append-only audit log: append, query (the caller's tenant), purge past the retention.</summary>
public interface IAuditLog
{
    /// <summary>Appends an entry; failures are logged, never thrown (auditing must not break the audited action).</summary>
    Task WriteAsync(AuditEntry entry, CancellationToken cancellationToken = default);

    /// <summary>The current tenant's entries matching <paramref name="query"/>, newest first.</summary>
    Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default);

    /// <summary>Deletes entries of every tenant older than the retention; returns how many.</summary>
    Task<int> PurgeAsync(CancellationToken cancellationToken = default);
}

internal sealed partial class EfAuditLog(IoTixDatabase database, TimeProvider time, IOptions<AuditOptions> options, ILogger<EfAuditLog> logger) : IAuditLog
{
    public async Task WriteAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        try
        {
            if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
            {
                LogNotWritten(logger, entry.Action, entry.Actor, "database unavailable");
                return;
            }

            using var system = TenantScope.EnterSystem(); // the entry names its tenant (a failed sign-in belongs to the user's tenant)
            await using var context = database.CreateDbContext();
            context.Add(new AuditRecord
            {
                TenantId = entry.TenantId,
                At = time.GetUtcNow().UtcDateTime,
                Actor = Cut(entry.Actor, 256),
                Action = Cut(entry.Action, 200),
                Target = Cut(entry.Target, 500),
                Outcome = entry.Outcome,
                StatusCode = entry.StatusCode,
                RemoteIp = entry.RemoteIp,
                Details = entry.Details is null ? null : Cut(entry.Details, 4000),
            });
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
            LogNotWritten(logger, entry.Action, entry.Actor, exception.Message);
        }
    }

    public async Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var context = database.CreateDbContext();
        IQueryable<AuditRecord> rows = context.Set<AuditRecord>().AsNoTracking();
        if (query.Actor is { Length: > 0 } actor)
        {
            rows = rows.Where(a => a.Actor.Contains(actor));
        }

        if (query.Action is { Length: > 0 } action)
        {
            rows = rows.Where(a => a.Action.Contains(action));
        }

        if (query.Outcome is { Length: > 0 } outcome)
        {
            rows = rows.Where(a => a.Outcome == outcome);
        }

        if (query.From is { } from)
        {
            var at = from.UtcDateTime;
            rows = rows.Where(a => a.At >= at);
        }

        if (query.To is { } to)
        {
            var at = to.UtcDateTime;
            rows = rows.Where(a => a.At <= at);
        }

        var limit = Math.Clamp(query.Limit, 1, options.Value.MaxQueryRows);
        return await rows.OrderByDescending(a => a.Id).Take(limit).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> PurgeAsync(CancellationToken cancellationToken = default)
    {
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        var cutoff = time.GetUtcNow().UtcDateTime.AddDays(-options.Value.RetentionDays);
        using var system = TenantScope.EnterSystem();
        await using var context = database.CreateDbContext();
        var purged = await context.Set<AuditRecord>().Where(a => a.At < cutoff).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        if (purged > 0)
        {
            LogPurged(logger, purged, options.Value.RetentionDays);
        }

        return purged;
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max];

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "Audit entry {Action} by {Actor} not written: {Reason}")]
    private static partial void LogNotWritten(ILogger logger, string action, string actor, string reason);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Information, Message = "Audit log: {Count} entries older than {Days} days purged")]
    private static partial void LogPurged(ILogger logger, int count, int days);
}

/// <summary>Purges the audit log past <c>IoTix:Audit:RetentionDays</c> every <c>PurgeIntervalMinutes</c>.</summary>
internal sealed partial class AuditRetentionService(IAuditLog audit, TimeProvider time, IOptions<AuditOptions> options, ILogger<AuditRetentionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(options.Value.PurgeIntervalMinutes), time);
        do
        {
            try
            {
                await audit.PurgeAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogPurgeFailed(logger, exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 7103, Level = LogLevel.Warning, Message = "Audit log purge failed")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
