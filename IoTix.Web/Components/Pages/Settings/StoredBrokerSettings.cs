using IoTix.Broker;
using IoTix.Web.Simulations;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Components.Pages.Settings;

/// <summary>
/// At start, broker settings saved in the console (settings store) replace the configured ones, so the settings
/// applied live survive a restart. Runs once, when the broker's
/// options are first built (start-up validation), before the listeners exist. An unavailable database or an invalid
/// stored value leaves the configured value (logged).
/// </summary>
internal sealed partial class StoredBrokerSettings(ISettingsStore store, ILogger<StoredBrokerSettings> logger) : IPostConfigureOptions<BrokerOptions>
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    public void PostConfigure(string? name, BrokerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        IReadOnlyDictionary<string, string>? stored;
        try
        {
            using var timeout = new CancellationTokenSource(ReadTimeout);
            // Options are built synchronously; this is one read at start-up, off any request path.
            stored = Task.Run(() => store.ListAsync(timeout.Token), timeout.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            stored = null;
        }

        if (stored is null)
        {
            LogStoreUnavailable(logger);
            return;
        }

        if (stored.TryGetValue(ConsoleSettingKeys.MaxPayloadBytesKey, out var payload))
        {
            if (ConsoleSettingKeys.TryParseInt(payload, out var bytes) && bytes is >= 1 and <= 268_435_455)
            {
                options.MaxPayloadBytes = bytes;
            }
            else
            {
                LogInvalid(logger, ConsoleSettingKeys.MaxPayloadBytesKey, payload);
            }
        }

        if (stored.TryGetValue(ConsoleSettingKeys.ConnectionRatePerIpPerSecondKey, out var rate))
        {
            if (ConsoleSettingKeys.TryParseInt(rate, out var perSecond) && perSecond >= 0)
            {
                options.ConnectionRateLimit.PerIpPerSecond = perSecond;
            }
            else
            {
                LogInvalid(logger, ConsoleSettingKeys.ConnectionRatePerIpPerSecondKey, rate);
            }
        }

        if (stored.TryGetValue(ConsoleSettingKeys.DuplicateClientIdKey, out var policy))
        {
            if (ConsoleSettingKeys.TryParsePolicy(policy, out var parsed))
            {
                options.DuplicateClientId = parsed;
            }
            else
            {
                LogInvalid(logger, ConsoleSettingKeys.DuplicateClientIdKey, policy);
            }
        }
    }

    [LoggerMessage(EventId = 3401, Level = LogLevel.Warning, Message = "Broker settings saved in the console were not read (database unavailable); the configured values apply")]
    private static partial void LogStoreUnavailable(ILogger logger);

    [LoggerMessage(EventId = 3402, Level = LogLevel.Warning, Message = "Stored setting {Key} = '{Value}' is invalid and was ignored; the configured value applies")]
    private static partial void LogInvalid(ILogger logger, string key, string value);
}
