using IoTix.Broker.History;
using IoTix.Web.Components.Pages.Settings;
using IoTix.Web.Simulations;
using Microsoft.Extensions.Options;

namespace IoTix.Web.History;

/// <summary>
/// Enforces the history retention (FR-030) in the background: every <c>Broker:History:PurgeIntervalSeconds</c> it
/// deletes messages older than the retention and the oldest beyond <c>Broker:History:MaxMessages</c>. The retention
/// is read at each purge: a value saved on the console's Settings page (settings key <c>history.retention</c>) wins
/// over <c>HISTORY_RETENTION</c> / <c>Broker:History:Retention</c>, so a change in the console applies at the next
/// purge, without a restart. Runs on the injected <see cref="TimeProvider"/>; a failed purge is logged and retried.
/// </summary>
internal sealed partial class HistoryRetentionPurge(
    IHistoryStore store,
    IOptions<HistoryOptions> options,
    TimeProvider timeProvider,
    ILogger<HistoryRetentionPurge> logger,
    IServiceProvider services) : BackgroundService
{
    /// <summary>Settings key of the console's retention (see <c>ConsoleSettingKeys.HistoryRetentionKey</c>).</summary>
    public const string SettingKey = ConsoleSettingKeys.HistoryRetentionKey;

    private int _purges;

    /// <summary>Purges run so far (tests wait on it).</summary>
    public int Purges => Volatile.Read(ref _purges);

    /// <summary>The retention in force: the console's stored value, else the configured one.</summary>
    public async Task<TimeSpan> CurrentRetentionAsync(CancellationToken cancellationToken)
    {
        if (services.GetService<ISettingsStore>() is { } settings
            && await settings.GetAsync(SettingKey, cancellationToken).ConfigureAwait(false) is { } stored)
        {
            if (HistoryOptions.TryParseRetention(stored, out var chosen))
            {
                return chosen;
            }

            LogInvalidSetting(logger, stored);
        }

        return options.Value.RetentionPeriod;
    }

    /// <summary>One purge now; the number of messages deleted, null when the store is unavailable.</summary>
    public async Task<long?> PurgeOnceAsync(CancellationToken cancellationToken)
    {
        var retention = await CurrentRetentionAsync(cancellationToken).ConfigureAwait(false);
        var deleted = await store.PurgeAsync(timeProvider.GetUtcNow() - retention, options.Value.MaxMessages, cancellationToken).ConfigureAwait(false);
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

    [LoggerMessage(EventId = 3504, Level = LogLevel.Warning, Message = "Stored setting history.retention = '{Value}' is invalid and was ignored; the configured retention applies")]
    private static partial void LogInvalidSetting(ILogger logger, string value);
}
