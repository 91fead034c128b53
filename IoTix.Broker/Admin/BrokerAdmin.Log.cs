using Microsoft.Extensions.Logging;

namespace IoTix.Broker.Admin;

internal sealed partial class BrokerAdmin
{
    [LoggerMessage(EventId = 1801, Level = LogLevel.Information, Message = "Console: retained message on {Topic} deleted")]
    private static partial void LogRetainedDeleted(ILogger logger, string topic);

    [LoggerMessage(EventId = 1802, Level = LogLevel.Information, Message = "Console: client {ClientId} disconnected (0x98 Administrative action)")]
    private static partial void LogClientDisconnected(ILogger logger, string clientId);

    [LoggerMessage(EventId = 1803, Level = LogLevel.Warning, Message = "Console: {Action} failed for {Target}")]
    private static partial void LogAdminActionFailed(ILogger logger, Exception exception, string action, string target);
}
