namespace IoTix.Web.LiveMetrics;

internal sealed partial class LiveMetricsSampler
{
    [LoggerMessage(EventId = 3602, Level = LogLevel.Debug, Message = "Live metrics sampler started: every {IntervalMs} ms, {HistoryPoints} points kept")]
    private static partial void LogStarted(ILogger logger, int intervalMs, int historyPoints);

    [LoggerMessage(EventId = 3603, Level = LogLevel.Warning, Message = "Live metrics sample failed; the sampler goes on")]
    private static partial void LogSampleFailed(ILogger logger, Exception exception);
}
