using IoTix.Web.Data;

namespace IoTix.Web.Simulations;

/// <summary>
/// How the simulation stores reach the database: skip cheaply while it is unavailable, report a failing access so
/// every feature backs off, log and answer "not stored" instead of throwing (the host keeps simulating).
/// </summary>
internal sealed partial class StoreAccess(IoTixDatabase database, ILogger<StoreAccess> logger)
{
    /// <summary>Runs <paramref name="work"/> on a new context; default(T) when the database is unavailable or the work fails.</summary>
    public async Task<T?> RunAsync<T>(string operation, Func<IoTixDbContext, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            LogSkipped(logger, operation);
            return default;
        }

        try
        {
            await using var context = database.CreateDbContext();
            return await work(context, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
            LogFailed(logger, operation, exception);
            return default;
        }
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Simulation store: {Operation} skipped, the database is unavailable")]
    private static partial void LogSkipped(ILogger logger, string operation);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Simulation store: {Operation} failed")]
    private static partial void LogFailed(ILogger logger, string operation, Exception exception);
}
