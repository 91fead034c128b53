using Microsoft.Extensions.Logging;

namespace IoTix.Core.Protocols.Coap;

internal sealed partial class CoapProtocolAdapter
{
    [LoggerMessage(EventId = 6100, Level = LogLevel.Debug, Message = "CoAP socket {Number} opened to {Server}")]
    private static partial void LogSocketOpened(ILogger logger, int number, string server);

    [LoggerMessage(EventId = 6101, Level = LogLevel.Debug, Message = "CoAP device {DeviceId}: connect failed: {Error}")]
    private static partial void LogConnectFailed(ILogger logger, string deviceId, string error);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Debug, Message = "CoAP device {DeviceId}: confirmable message to {Server} timed out")]
    private static partial void LogExchangeTimedOut(ILogger logger, string deviceId, string? server);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Debug, Message = "CoAP device {DeviceId}: observing command {Command}")]
    private static partial void LogObserveRegistered(ILogger logger, string deviceId, string command);

    [LoggerMessage(EventId = 6104, Level = LogLevel.Debug, Message = "CoAP device {DeviceId}: observe registration of command {Command} failed ({Outcome}, code {Code}); retrying later")]
    private static partial void LogObserveFailed(ILogger logger, string deviceId, string command, string outcome, byte code);

    [LoggerMessage(EventId = 6105, Level = LogLevel.Debug, Message = "CoAP: malformed datagram from {Server} ({Error})")]
    private static partial void LogMalformed(ILogger logger, string server, CoapFormatError error);

    [LoggerMessage(EventId = 6106, Level = LogLevel.Warning, Message = "CoAP: receiving from {Server} failed")]
    private static partial void LogReceiveFailed(ILogger logger, string server, Exception exception);

    [LoggerMessage(EventId = 6107, Level = LogLevel.Error, Message = "CoAP: the retransmission timer failed; continuing")]
    private static partial void LogTimerFailed(ILogger logger, Exception exception);
}
