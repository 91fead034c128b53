using Microsoft.Extensions.Logging;

namespace IoTix.Core.Protocols.Http;

internal sealed partial class HttpProtocolAdapter
{
    [LoggerMessage(EventId = 6200, Level = LogLevel.Debug, Message = "HTTP device {DeviceId}: connect failed: {Error}")]
    private static partial void LogConnectFailed(ILogger logger, string deviceId, string error);

    [LoggerMessage(EventId = 6201, Level = LogLevel.Debug, Message = "HTTP device {DeviceId}: request answered {Status}")]
    private static partial void LogRequestFailed(ILogger logger, string deviceId, int status);

    [LoggerMessage(EventId = 6202, Level = LogLevel.Debug, Message = "HTTP device {DeviceId}: request failed ({Error}): {Message}")]
    private static partial void LogTransportError(ILogger logger, string deviceId, string error, string message);

    [LoggerMessage(EventId = 6203, Level = LogLevel.Debug, Message = "HTTP device {DeviceId}: polling command {Command} failed: {Message}")]
    private static partial void LogPollFailed(ILogger logger, string deviceId, string command, string message);

    [LoggerMessage(EventId = 6204, Level = LogLevel.Error, Message = "HTTP device {DeviceId}: request failed unexpectedly; counted as failed")]
    private static partial void LogUnexpected(ILogger logger, string deviceId, Exception exception);
}
