using IoTix.Broker.Devices;
using IoTix.Broker.Observability;
using IoTix.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Devices;

/// <summary>
/// Writes the broker's presence of registered devices (online, last seen, connected and disconnected times) to
/// the registry every <c>IoTix:Registry:StatusFlushSeconds</c>, and once more on stop, so the status survives a
/// restart. Rows change only when the status did; a database outage skips the round (logged by the database).
/// </summary>
internal sealed partial class RegistryStatusWriter(
    IoTixDatabase database,
    IDevicePresence presence,
    IBrokerStatus broker,
    TimeProvider timeProvider,
    IOptions<DeviceRegistryOptions> options,
    ILogger<RegistryStatusWriter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.StatusFlushSeconds), timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await FlushAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The last status reaches the database within the host's shutdown time (the broker stops after this service: a device
            // still connected is stored online, and shown offline after a restart until it connects again).
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LogFinalFlushSkipped(logger);
        }
    }

    /// <summary>One round: the rows whose stored status differs from the presence; returns how many changed.</summary>
    internal async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        try
        {
            await using var context = database.CreateDbContext();
            context.TenantId = null; // every tenant's devices: rows are keyed by their namespaced client ids
            var records = await context.Set<RegisteredDeviceRecord>().ToListAsync(cancellationToken).ConfigureAwait(false);
            int changed = 0;
            foreach (var record in records)
            {
                if (presence.TryGet(DeviceRegistry.ClientIdOf(record), out var live))
                {
                    var lastSeen = live.LastSeen.UtcDateTime;
                    if (record.Online != live.Online || record.LastSeenAt != lastSeen)
                    {
                        record.Online = live.Online;
                        record.LastSeenAt = lastSeen;
                        record.LastConnectedAt = live.ConnectedAt?.UtcDateTime ?? record.LastConnectedAt;
                        record.LastDisconnectedAt = live.DisconnectedAt?.UtcDateTime ?? record.LastDisconnectedAt;
                        changed++;
                    }
                }
                else if (record.Online && broker.IsListening)
                {
                    // Stored as online by a process that ended without saying so: offline now.
                    record.Online = false;
                    changed++;
                }
            }

            if (changed > 0)
            {
                await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                LogFlushed(logger, changed);
            }

            return changed;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
            LogFlushFailed(logger, exception);
            return 0;
        }
    }

    [LoggerMessage(EventId = 3450, Level = LogLevel.Debug, Message = "Registry: status of {Count} devices written")]
    private static partial void LogFlushed(ILogger logger, int count);

    [LoggerMessage(EventId = 3452, Level = LogLevel.Warning, Message = "Registry: the last device status was not written, the host's shutdown time ran out")]
    private static partial void LogFinalFlushSkipped(ILogger logger);

    [LoggerMessage(EventId = 3451, Level = LogLevel.Warning, Message = "Registry: writing device status failed")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);
}
