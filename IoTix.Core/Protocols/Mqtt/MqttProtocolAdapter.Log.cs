using Microsoft.Extensions.Logging;

namespace IoTix.Core.Protocols.Mqtt;

internal sealed partial class MqttProtocolAdapter
{
    [LoggerMessage(EventId = 2400, Level = LogLevel.Debug, Message = "MQTT device {DeviceId}: connected to {Endpoint} (MQTT {Version}, session present {SessionPresent})")]
    internal static partial void LogConnected(ILogger logger, string deviceId, string endpoint, string version, bool sessionPresent);

    [LoggerMessage(EventId = 2401, Level = LogLevel.Debug, Message = "MQTT device {DeviceId}: connect failed: {Error}")]
    internal static partial void LogConnectFailed(ILogger logger, string deviceId, string error);

    [LoggerMessage(EventId = 2402, Level = LogLevel.Debug, Message = "MQTT device {DeviceId}: connection lost: {Reason}")]
    internal static partial void LogConnectionLost(ILogger logger, string deviceId, string reason);

    [LoggerMessage(EventId = 2403, Level = LogLevel.Debug, Message = "MQTT device {DeviceId}: reconnect attempt {Attempt} in {DelayMs} ms")]
    internal static partial void LogReconnectScheduled(ILogger logger, string deviceId, int attempt, long delayMs);

    [LoggerMessage(EventId = 2404, Level = LogLevel.Warning, Message = "MQTT device {DeviceId}: keep-alive sweep failed")]
    internal static partial void LogSweepFailed(ILogger logger, string deviceId, Exception exception);

    [LoggerMessage(EventId = 2405, Level = LogLevel.Warning, Message = "MQTT device {DeviceId}: receive loop failed")]
    internal static partial void LogReceiveFailed(ILogger logger, string deviceId, Exception exception);

    [LoggerMessage(EventId = 2406, Level = LogLevel.Debug, Message = "MQTT device {DeviceId}: {Count} unacknowledged QoS 1/2 messages resent (session present)")]
    internal static partial void LogRetransmitted(ILogger logger, string deviceId, int count);

    [LoggerMessage(EventId = 2407, Level = LogLevel.Debug, Message = "MQTT device {DeviceId}: message on {Topic} matched no command topic; ignored")]
    internal static partial void LogUnmatchedMessage(ILogger logger, string deviceId, string topic);
}
