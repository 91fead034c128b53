using Microsoft.Extensions.Logging;

namespace IoTix.Core.Generators;

/// <summary>Log events of the script generator (event ids 2100-2199).</summary>
internal static partial class ScriptLog
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Warning, Message = "Script generator of telemetry item {Item} failed ({Failures} failures so far); the previous value is kept: {Reason}")]
    public static partial void ScriptFailed(ILogger logger, string item, long failures, string reason);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Debug, Message = "Script generator of telemetry item {Item} failed again: {Reason}")]
    public static partial void ScriptFailedAgain(ILogger logger, string item, string reason);
}
