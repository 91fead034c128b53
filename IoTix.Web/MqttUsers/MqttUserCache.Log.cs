using Microsoft.Extensions.Logging;

namespace IoTix.Web.MqttUsers;

internal sealed partial class MqttUserCache
{
    [LoggerMessage(EventId = 3470, Level = LogLevel.Information, Message = "MQTT users: {Count} stored users loaded for the broker")]
    private static partial void LogLoaded(ILogger logger, int count);

    [LoggerMessage(EventId = 3471, Level = LogLevel.Warning, Message = "MQTT users: loading the stored users failed; they cannot connect until the database answers")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception);
}
