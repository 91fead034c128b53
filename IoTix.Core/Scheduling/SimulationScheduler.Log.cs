using Microsoft.Extensions.Logging;

namespace IoTix.Core.Scheduling;

internal sealed partial class SimulationScheduler
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Warning,
        Message = "Scheduler tick overran: ran {DurationMs} ms and started {LateMs} ms late for {Fired} entries ({Pending} pending); threshold {ThresholdMs} ms. The process cannot keep up with the configured devices and intervals.")]
    private static partial void LogTickOverrun(ILogger logger, long durationMs, long lateMs, int fired, int pending, long thresholdMs);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "Scheduled {Kind} work of device slot {Slot} failed; the scheduler continues")]
    private static partial void LogWorkFailed(ILogger logger, WorkKind kind, int slot, Exception exception);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Scheduler tick failed; the scheduler continues")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);
}
