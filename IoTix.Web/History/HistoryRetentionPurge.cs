using IoTix.Broker.History;
using IoTix.Web.Components.Pages.Settings;
using IoTix.Web.Simulations;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.Options;

namespace IoTix.Web.History;

/// <summary>
/// Enforces the history retention (FR-030) in the background: every <c>Broker:History:PurgeIntervalSeconds</c> it
/// deletes messages older than the installation's retention and the oldest beyond <c>Broker:History:MaxMessages</c>,
/// then each tenant's messages older than its own retention (<see cref="RetentionOfAsync"/>: at most the installation's
/// and its quota <c>historyRetentionDays</c>). The retentions are read at each purge: a value saved on the console's
/// Settings page (settings key <c>history.retention</c>; the default tenant's is the installation's) wins over
/// <c>HISTORY_RETENTION</c> / <c>Broker:History:Retention</c>, so a change in the console applies at the next purge,
/// without a restart. Runs on the injected <see cref="TimeProvider"/>; a failed purge is logged and retried.
/// </summary>
internal sealed partial class HistoryRetentionPurge(
    EfHistoryStore store,
    IOptions<HistoryOptions> options,
    TimeProvider timeProvider,
    ILogger<HistoryRetentionPurge> logger,
    IServiceProvider services,
    TenantDirectory? tenants = null) : BackgroundService
{
    /// <summary>Settings key of the console's retention (see <c>ConsoleSettingKeys.HistoryRetentionKey</c>).</summary>
    public const string SettingKey = ConsoleSettingKeys.HistoryRetentionKey;

    private int _purges;

    /// <summary>Purges run so far (tests wait on it).</summary>
    public int Purges => Volatile.Read(ref _purges);

    /// <summary>The installation's retention: the default tenant's stored value, else the configured one.</summary>
    public async Task<TimeSpan> CurrentRetentionAsync(CancellationToken cancellationToken) =>
        await StoredRetentionAsync(Tenants.Default, cancellationToken).ConfigureAwait(false) ?? options.Value.RetentionPeriod;

    /// <summary>
    /// The retention of <paramref name="tenantId"/>'s history: its own stored choice (the installation's when it made
    /// none), never longer than the installation's retention nor its quota <c>historyRetentionDays</c>.
    /// </summary>
    public async Task<TenantRetention> RetentionOfAsync(string tenantId, CancellationToken cancellationToken = default) =>
        await RetentionOfAsync(tenantId, await CurrentRetentionAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    private async Task<TenantRetention> RetentionOfAsync(string tenantId, TimeSpan installation, CancellationToken cancellationToken)
    {
        var own = tenantId == Tenants.Default ? null : await StoredRetentionAsync(tenantId, cancellationToken).ConfigureAwait(false);
        var quotaDays = tenants is null ? int.MaxValue : (await tenants.QuotasAsync(tenantId, cancellationToken).ConfigureAwait(false)).HistoryRetentionDays;
        var quota = tenants is null ? TimeSpan.MaxValue : TimeSpan.FromDays(quotaDays);
        var chosen = own ?? installation;
        var effective = chosen < installation ? chosen : installation;
        return new TenantRetention(installation, own, quotaDays, effective < quota ? effective : quota);
    }

    /// <summary>One purge now; the number of messages deleted, null when the store is unavailable.</summary>
    public async Task<long?> PurgeOnceAsync(CancellationToken cancellationToken)
    {
        var retention = await CurrentRetentionAsync(cancellationToken).ConfigureAwait(false);
        var now = timeProvider.GetUtcNow();
        var deleted = await store.PurgeAsync(now - retention, options.Value.MaxMessages, cancellationToken).ConfigureAwait(false);
        if (deleted is not null && tenants is not null)
        {
            foreach (var tenant in await tenants.ListAsync(cancellationToken).ConfigureAwait(false))
            {
                var own = await RetentionOfAsync(tenant.Id, retention, cancellationToken).ConfigureAwait(false);
                if (own.Effective < retention)
                {
                    deleted += await store.PurgeTenantAsync(tenant.Id, now - own.Effective, cancellationToken).ConfigureAwait(false) ?? 0;
                }
            }
        }

        Interlocked.Increment(ref _purges);
        if (deleted is null)
        {
            LogStoreUnavailable(logger);
        }
        else if (deleted > 0)
        {
            LogPurged(logger, deleted.Value, retention);
        }

        return deleted;
    }

    /// <summary>The retention <paramref name="tenantId"/> saved (settings key <c>history.retention</c> of that tenant); null when none or invalid.</summary>
    private async Task<TimeSpan?> StoredRetentionAsync(string tenantId, CancellationToken cancellationToken)
    {
        if (services.GetService<ISettingsStore>() is not { } settings)
        {
            return null;
        }

        string? stored;
        using (TenantScope.Enter(tenantId))
        {
            stored = await settings.GetAsync(SettingKey, cancellationToken).ConfigureAwait(false);
        }

        if (stored is null)
        {
            return null;
        }

        if (HistoryOptions.TryParseRetention(stored, out var chosen))
        {
            return chosen;
        }

        LogInvalidSetting(logger, tenantId, stored);
        return null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.PurgeIntervalSeconds), timeProvider);
        do
        {
            try
            {
                await PurgeOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogPurgeFailed(logger, exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 3501, Level = LogLevel.Information, Message = "Message history: {Deleted} messages purged (retention {Retention})")]
    private static partial void LogPurged(ILogger logger, long deleted, TimeSpan retention);

    [LoggerMessage(EventId = 3502, Level = LogLevel.Warning, Message = "Message history purge skipped: the database is unavailable; retried at the next interval")]
    private static partial void LogStoreUnavailable(ILogger logger);

    [LoggerMessage(EventId = 3503, Level = LogLevel.Error, Message = "Message history purge failed; retried at the next interval")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3504, Level = LogLevel.Warning, Message = "Stored setting history.retention of tenant {Tenant} = '{Value}' is invalid and was ignored; the configured retention applies")]
    private static partial void LogInvalidSetting(ILogger logger, string tenant, string value);
}

/// <summary>
/// A tenant's history retention: the installation's, the tenant's own choice (null: none), its quota in days, and the
/// one the purge enforces (the shortest of the three).
/// </summary>
public sealed record TenantRetention(TimeSpan Installation, TimeSpan? Own, int QuotaDays, TimeSpan Effective);
