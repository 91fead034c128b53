using Microsoft.Extensions.Logging;

namespace IoTix.Broker.Shadows;

internal sealed partial class ShadowService
{
    [LoggerMessage(EventId = 1950, Level = LogLevel.Warning, Message = "Shadow store unavailable (thing {ThingName}): shadows are served from memory and not persisted until it is back")]
    private static partial void LogStoreUnavailable(ILogger logger, string thingName);

    [LoggerMessage(EventId = 1951, Level = LogLevel.Information, Message = "Shadow store available again")]
    private static partial void LogStoreBack(ILogger logger);

    [LoggerMessage(EventId = 1952, Level = LogLevel.Warning, Message = "Publishing the shadow answer {Topic} failed")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string topic);

    [LoggerMessage(EventId = 1953, Level = LogLevel.Warning, Message = "A shadow change handler failed (thing {ThingName})")]
    private static partial void LogChangedHandlerFailed(ILogger logger, Exception exception, string thingName);
}
