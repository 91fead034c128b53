using Microsoft.Extensions.Logging;

namespace IoTix.Broker.Methods;

internal sealed partial class DirectMethods
{
    [LoggerMessage(EventId = 1960, Level = LogLevel.Debug, Message = "Invoking method {Method} on thing {ThingName} (correlation {Correlation})")]
    private static partial void LogInvoking(ILogger logger, string method, string thingName, string correlation);

    [LoggerMessage(EventId = 1961, Level = LogLevel.Information, Message = "Method {Method} on thing {ThingName} timed out after {TimeoutSeconds} s")]
    private static partial void LogTimedOut(ILogger logger, string method, string thingName, double timeoutSeconds);
}
