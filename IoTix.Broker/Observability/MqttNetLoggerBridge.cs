using System.Globalization;
using Microsoft.Extensions.Logging;
using MQTTnet.Diagnostics.Logger;

namespace IoTix.Broker.Observability;

/// <summary>Forwards MQTTnet's own warnings and errors to Microsoft.Extensions.Logging (category MQTTnet).</summary>
internal sealed partial class MqttNetLoggerBridge(ILogger logger) : IMqttNetLogger
{
    public bool IsEnabled => logger.IsEnabled(LogLevel.Warning);

    public void Publish(MqttNetLogLevel logLevel, string source, string message, object[] parameters, Exception exception)
    {
        var level = logLevel switch
        {
            MqttNetLogLevel.Error => LogLevel.Error,
            MqttNetLogLevel.Warning => LogLevel.Warning,
            MqttNetLogLevel.Info => LogLevel.Debug,
            _ => LogLevel.Trace,
        };
        if (!logger.IsEnabled(level))
        {
            return;
        }

        var text = parameters is { Length: > 0 } ? string.Format(CultureInfo.InvariantCulture, message, parameters) : message;
        LogMqttNet(logger, level, exception, source, text);
    }

    [LoggerMessage(EventId = 1901, Message = "{Source}: {Message}")]
    private static partial void LogMqttNet(ILogger logger, LogLevel level, Exception? exception, string source, string message);
}
