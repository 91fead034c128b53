namespace IoTix.Web.Simulations;

public sealed partial class SimulationOrchestrator
{
    [LoggerMessage(EventId = 3110, Level = LogLevel.Information, Message = "Group {GroupId} created: {Count} devices of model {ModelId}")]
    private static partial void LogGroupCreated(ILogger logger, string groupId, string modelId, int count);

    [LoggerMessage(EventId = 3111, Level = LogLevel.Information, Message = "Group {GroupId} starting: {Devices} devices, {Strategy}, expected {DurationMs} ms (resumed: {Resumed})")]
    private static partial void LogGroupStarted(ILogger logger, string groupId, int devices, string strategy, long durationMs, bool resumed);

    [LoggerMessage(EventId = 3112, Level = LogLevel.Warning, Message = "Simulation state not stored: {What} (the change applies until the host restarts)")]
    private static partial void LogNotPersisted(ILogger logger, string what);

    [LoggerMessage(EventId = 3113, Level = LogLevel.Warning, Message = "Could not restore {What}: {Reason}")]
    private static partial void LogRestoreFailed(ILogger logger, string what, string reason);

    [LoggerMessage(EventId = 3114, Level = LogLevel.Information, Message = "Simulations restored: {Models} API models, {Groups} groups, {Devices} single devices; {Resumed} started again (ResumeOnStart: {ResumeOnStart})")]
    private static partial void LogRestored(ILogger logger, int models, int groups, int devices, int resumed, bool resumeOnStart);

    [LoggerMessage(EventId = 3115, Level = LogLevel.Information, Message = "{What} rebuilt from model {ModelId} revision {Revision} (was {Previous}) before starting")]
    private static partial void LogModelRevisionApplied(ILogger logger, string what, string modelId, string revision, string previous);

    [LoggerMessage(EventId = 3116, Level = LogLevel.Warning, Message = "{What} could not be rebuilt from model {ModelId} revision {Revision}; it keeps revision {Previous}: {Reason}")]
    private static partial void LogModelRevisionFailed(ILogger logger, string what, string modelId, string revision, string previous, string reason);

    [LoggerMessage(EventId = 3117, Level = LogLevel.Warning, Message = "Group {GroupId}: {Stopping} devices still disconnecting after {Seconds} s; restarting without waiting for them")]
    private static partial void LogRestartNotSettled(ILogger logger, string groupId, int stopping, int seconds);
}
