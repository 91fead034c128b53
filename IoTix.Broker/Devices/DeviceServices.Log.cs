using Microsoft.Extensions.Logging;

namespace IoTix.Broker.Devices;

internal sealed partial class DeviceServices
{
    [LoggerMessage(EventId = 1955, Level = LogLevel.Warning, Message = "Shadow request for thing {ThingName} rejected: the queue is full ({Capacity}, Broker:Devices:ShadowQueueCapacity)")]
    private static partial void LogShadowQueueFull(ILogger logger, string thingName, int capacity);

    [LoggerMessage(EventId = 1956, Level = LogLevel.Error, Message = "Shadow request for thing {ThingName} failed")]
    private static partial void LogShadowRequestFailed(ILogger logger, Exception exception, string thingName);

    [LoggerMessage(EventId = 1957, Level = LogLevel.Debug, Message = "Delta of thing {ThingName} delivered to {ClientId} on subscribe")]
    private static partial void LogDeltaOnSubscribe(ILogger logger, string thingName, string clientId);

    [LoggerMessage(EventId = 1958, Level = LogLevel.Warning, Message = "Delivering the delta of thing {ThingName} to {ClientId} on subscribe failed")]
    private static partial void LogDeltaOnSubscribeFailed(ILogger logger, Exception exception, string thingName, string clientId);

    [LoggerMessage(EventId = 1959, Level = LogLevel.Debug, Message = "Method answer on {Topic} from {ClientId} matches no waiting call (timed out or unknown correlation data)")]
    private static partial void LogUnmatchedMethodResponse(ILogger logger, string topic, string clientId);
}
