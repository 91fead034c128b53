using Microsoft.Extensions.Logging;

namespace IoTix.Broker.Rules;

internal sealed partial class RuleEngine
{
    [LoggerMessage(EventId = 1951, Level = LogLevel.Information, Message = "Rules engine disabled (Broker:Rules:Enabled=false)")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(EventId = 1952, Level = LogLevel.Information, Message = "Loaded {Count} rules from the store")]
    private static partial void LogLoaded(ILogger logger, int count);

    [LoggerMessage(EventId = 1953, Level = LogLevel.Warning, Message = "Rules could not be loaded ({Reason}); retrying every {RetrySeconds} s (Broker:Rules:LoadRetrySeconds)")]
    private static partial void LogLoadFailed(ILogger logger, string reason, int retrySeconds);

    [LoggerMessage(EventId = 1954, Level = LogLevel.Warning, Message = "Stored rule {RuleId} is not valid and does not run: {Errors}")]
    private static partial void LogStoredRuleInvalid(ILogger logger, string ruleId, string errors);

    [LoggerMessage(EventId = 1955, Level = LogLevel.Information, Message = "Rule {RuleId} applied (enabled {Enabled}, filters {Filters}, {Actions} actions)")]
    private static partial void LogApplied(ILogger logger, string ruleId, bool enabled, string filters, int actions);

    [LoggerMessage(EventId = 1956, Level = LogLevel.Information, Message = "Rule {RuleId} removed")]
    private static partial void LogRemoved(ILogger logger, string ruleId);

    [LoggerMessage(EventId = 1957, Level = LogLevel.Warning, Message = "Rules queue full ({Capacity} messages, Broker:Rules:QueueCapacity): new messages are not evaluated until it drains; MQTT is not affected")]
    private static partial void LogQueueFull(ILogger logger, int capacity);

    [LoggerMessage(EventId = 1958, Level = LogLevel.Information, Message = "Rules queue drained; {Dropped} messages dropped since start")]
    private static partial void LogQueueDrained(ILogger logger, long dropped);

    [LoggerMessage(EventId = 1959, Level = LogLevel.Error, Message = "Action {Type} of rule {RuleId} threw")]
    private static partial void LogActionError(ILogger logger, Exception exception, string ruleId, string type);

    [LoggerMessage(EventId = 1960, Level = LogLevel.Warning, Message = "Rules engine stopped with {Queued} messages not evaluated")]
    private static partial void LogStopTimedOut(ILogger logger, int queued);
}

/// <summary>Log events of the actions (category IoTix.Broker.Rules.Actions).</summary>
internal static partial class RuleEngineLog
{
    [LoggerMessage(EventId = 1971, Level = LogLevel.Warning, Message = "Rule {RuleId}: {Type} target {Target} is failing ({Error}); failures are counted and retried within bounds, MQTT and other actions go on")]
    public static partial void TargetDown(ILogger logger, string ruleId, string type, string target, string error);

    [LoggerMessage(EventId = 1972, Level = LogLevel.Information, Message = "Rule {RuleId}: {Type} target {Target} works again")]
    public static partial void TargetBack(ILogger logger, string ruleId, string type, string target);

    [LoggerMessage(EventId = 1973, Level = LogLevel.Debug, Message = "Rule {RuleId}: {Type} to {Target} failed for {Items} item(s): {Error}")]
    public static partial void ActionFailed(ILogger logger, string ruleId, string type, string target, int items, string error);

    [LoggerMessage(EventId = 1974, Level = LogLevel.Warning, Message = "Rule {RuleId}: circuit to {Target} opened for {Seconds} s after repeated failures")]
    public static partial void CircuitOpened(ILogger logger, string ruleId, string target, int seconds);

    [LoggerMessage(EventId = 1975, Level = LogLevel.Information, Message = "Rule {RuleId}: circuit to {Target} closed")]
    public static partial void CircuitClosed(ILogger logger, string ruleId, string target);

    [LoggerMessage(EventId = 1976, Level = LogLevel.Warning, Message = "Rule {RuleId}: {Type} queue full (Broker:Rules:ActionQueueCapacity); new items are dropped and counted until it drains")]
    public static partial void ActionQueueFull(ILogger logger, string ruleId, string type);
}
