using System.Globalization;
using IoTix.Broker.Admin;
using IoTix.Broker.History;
using Microsoft.Extensions.Options;
using IoTix.Web.Simulations;

namespace IoTix.Web.Components.Pages.Settings;

/// <summary>Outcome of <see cref="ConsoleSettingsService.SaveAsync"/>: errors, or what took effect now and what at restart.</summary>
public sealed record SettingsSaveResult(IReadOnlyList<string> Errors, IReadOnlyList<string> AppliedNow, IReadOnlyList<string> PendingRestart)
{
    public bool Succeeded => Errors.Count == 0;
}

/// <summary>
/// Reads and writes the console settings: persisted through <see cref="ISettingsStore"/> (kept across restarts; a
/// stored value wins over appsettings/environment), broker settings applied through <see cref="IBrokerRuntimeSettings"/>.
/// The history retention saved here is read by the history purge at its next run (no restart).
/// </summary>
public sealed class ConsoleSettingsService(ISettingsStore store, IBrokerRuntimeSettings broker, IOptions<HistoryOptions>? history = null)
{
    /// <summary>Stored values over the broker's current ones; null when the database is unavailable.</summary>
    public async Task<ConsoleSettingsValues?> LoadAsync(CancellationToken cancellationToken = default)
    {
        var stored = await store.ListAsync(cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return null;
        }

        var requested = broker.Requested;
        // Nothing saved yet: the configured retention (Broker:History:Retention / HISTORY_RETENTION) is the one in force.
        if (!ConsoleSettingKeys.TryParseRetention(stored.GetValueOrDefault(ConsoleSettingKeys.HistoryRetentionKey), out var retention) && history is not null)
        {
            ConsoleSettingKeys.TryParseRetention(history.Value.Retention, out retention);
        }

        return new ConsoleSettingsValues(retention, requested.MaxPayloadBytes, requested.ConnectionRatePerIpPerSecond, requested.DuplicateClientId);
    }

    /// <summary>True when the payload limit saved differs from the one the listeners enforce (restart needed).</summary>
    public bool RestartPending => broker.Requested.MaxPayloadBytes != broker.Active.MaxPayloadBytes;

    /// <summary>The payload limit the running listeners enforce.</summary>
    public int ActiveMaxPayloadBytes => broker.Active.MaxPayloadBytes;

    public static IReadOnlyList<string> Validate(ConsoleSettingsValues values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var errors = new List<string>();
        if (!Enum.IsDefined(values.HistoryRetention))
        {
            errors.Add("Message history retention must be 12 hours, 24 hours, 48 hours or 7 days.");
        }

        errors.AddRange(ToBroker(values).Validate());
        return errors;
    }

    /// <summary>Validates, stores every value, then applies the broker ones. Nothing is applied when storing fails.</summary>
    public async Task<SettingsSaveResult> SaveAsync(ConsoleSettingsValues values, CancellationToken cancellationToken = default)
    {
        var errors = Validate(values);
        if (errors.Count > 0)
        {
            return new SettingsSaveResult(errors, [], []);
        }

        var writes = new (string Key, string Value)[]
        {
            (ConsoleSettingKeys.HistoryRetentionKey, ConsoleSettingKeys.Format(values.HistoryRetention)),
            (ConsoleSettingKeys.MaxPayloadBytesKey, values.MaxPayloadBytes.ToString(CultureInfo.InvariantCulture)),
            (ConsoleSettingKeys.ConnectionRatePerIpPerSecondKey, values.ConnectionRatePerIpPerSecond.ToString(CultureInfo.InvariantCulture)),
            (ConsoleSettingKeys.DuplicateClientIdKey, ConsoleSettingKeys.Format(values.DuplicateClientId)),
        };
        foreach (var (key, value) in writes)
        {
            if (!await store.SetAsync(key, value, cancellationToken).ConfigureAwait(false))
            {
                return new SettingsSaveResult(
                    [$"The settings could not be saved: the database did not accept '{key}' (it may be unavailable; see the log). The broker keeps its current settings."],
                    [],
                    []);
            }
        }

        var applied = broker.Apply(ToBroker(values));
        if (!applied.Succeeded)
        {
            return new SettingsSaveResult(applied.Errors, [], []);
        }

        return new SettingsSaveResult([], applied.AppliedNow, applied.PendingRestart);
    }

    private static BrokerRuntimeSettingsValues ToBroker(ConsoleSettingsValues values) =>
        new(values.MaxPayloadBytes, values.ConnectionRatePerIpPerSecond, values.DuplicateClientId);
}
