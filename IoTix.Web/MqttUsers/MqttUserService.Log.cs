using Microsoft.Extensions.Logging;

namespace IoTix.Web.MqttUsers;

internal sealed partial class MqttUserService
{
    [LoggerMessage(EventId = 3472, Level = LogLevel.Information, Message = "MQTT users: {Username} of tenant {Tenant} created by {CreatedBy}")]
    private static partial void LogCreated(ILogger logger, string username, string tenant, string createdBy);

    [LoggerMessage(EventId = 3473, Level = LogLevel.Information, Message = "MQTT users: {Username} of tenant {Tenant} revoked, {Disconnected} connection(s) dropped")]
    private static partial void LogRevoked(ILogger logger, string username, string tenant, int disconnected);

    [LoggerMessage(EventId = 3474, Level = LogLevel.Warning, Message = "MQTT users: the database is unavailable")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception);
}
