using IoTix.Core.Strategies;
using Microsoft.Extensions.Logging;

namespace IoTix.Core.Devices;

public sealed partial class SimulationEngine
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Simulation engine started; run seed {RunSeed}")]
    private static partial void LogStarted(ILogger logger, ulong runSeed);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Created group {GroupId}: {Count} devices of model {ModelId}")]
    private static partial void LogGroupCreated(ILogger logger, string groupId, string modelId, int count);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Starting group {GroupId}: {Count} devices, {Strategy} launch over {DurationMs} ms")]
    private static partial void LogGroupStarting(ILogger logger, string groupId, int count, LaunchStrategyKind strategy, long durationMs);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Dropout on group {GroupId}: {Count} of {Running} running devices, {Strategy} strategy, reconnect {Reconnect}")]
    private static partial void LogDropoutPlanned(ILogger logger, string groupId, int count, int running, DropoutStrategyKind strategy, bool reconnect);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Debug, Message = "Device {DeviceId}: refused lifecycle transition: {Reason}")]
    private static partial void LogIllegalTransition(ILogger logger, string deviceId, string reason);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Trace, Message = "Device {DeviceId}: {From} -> {To} ({Reason})")]
    private static partial void LogTransition(ILogger logger, string deviceId, DeviceState from, DeviceState to, string? reason);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Debug, Message = "Device {DeviceId}: connect failed: {Error}")]
    private static partial void LogConnectFailed(ILogger logger, string deviceId, string? error);

    [LoggerMessage(EventId = 2107, Level = LogLevel.Warning, Message = "Device {DeviceId}: disconnect failed")]
    private static partial void LogDisconnectFailed(ILogger logger, string deviceId, Exception exception);

    [LoggerMessage(EventId = 2108, Level = LogLevel.Warning, Message = "Device {DeviceId}: publish threw; counted as failed")]
    private static partial void LogPublishFailed(ILogger logger, string deviceId, Exception exception);

    [LoggerMessage(EventId = 2109, Level = LogLevel.Debug, Message = "Device {DeviceId}: command {Command} dropped, inbound queue full ({Limit})")]
    private static partial void LogCommandDropped(ILogger logger, string deviceId, string command, int limit);

    [LoggerMessage(EventId = 2110, Level = LogLevel.Debug, Message = "Device {DeviceId}: command {Command} ignored in state {State} (no behaviour or not running)")]
    private static partial void LogCommandIgnored(ILogger logger, string deviceId, string command, DeviceState state);

    [LoggerMessage(EventId = 2113, Level = LogLevel.Debug, Message = "Device {DeviceId}: shadow message {Kind} ignored: {Reason}")]
    private static partial void LogShadowIgnored(ILogger logger, string deviceId, string kind, string reason);

    [LoggerMessage(EventId = 2114, Level = LogLevel.Debug, Message = "Device {DeviceId}: {Count} desired shadow values applied and reported")]
    private static partial void LogShadowApplied(ILogger logger, string deviceId, int count);

    [LoggerMessage(EventId = 2111, Level = LogLevel.Debug, Message = "Device {DeviceId}: behaviour {Behavior} fired")]
    private static partial void LogBehaviorFired(ILogger logger, string deviceId, string behavior);

    [LoggerMessage(EventId = 2112, Level = LogLevel.Warning, Message = "A DeviceStateChanged listener threw; ignored")]
    private static partial void LogListenerFailed(ILogger logger, Exception exception);
}
