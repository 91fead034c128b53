using System.Globalization;
using IoTix.Broker.Admin;
using IoTix.Broker.History;
using Microsoft.Extensions.Options;
using IoTix.Web.Simulations;
using IoTix.Web.Tenancy;

namespace IoTix.Web.Components.Pages.Settings;

/// <summary>Outcome of <see cref="ConsoleSettingsService.SaveAsync"/>: errors, or what took effect now and what at restart.</summary>
public sealed record SettingsSaveResult(IReadOnlyList<string> Errors, IReadOnlyList<string> AppliedNow, IReadOnlyList<string> PendingRestart)
{
    public bool Succeeded => Errors.Count == 0;
}

/// <summary>A settings value that is not allowed: which setting (<see cref="ConsoleSettingsService"/>'s field names) and why, in words.</summary>
public sealed record SettingError(string Field, string Message);

/// <summary>
/// Reads and writes the console settings: persisted through <see cref="ISettingsStore"/> (kept across restarts; a
/// stored value wins over appsettings/environment), broker settings applied through <see cref="IBrokerRuntimeSettings"/>.
/// The history retention saved here is read by the history purge at its next run (no restart). The broker settings
/// are installation-wide: only the default tenant (the platform) changes them; another tenant sees them read-only and
/// sets only its own history retention (stored under its tenant), within its quota <c>historyRetentionDays</c>.
/// </summary>
public sealed class ConsoleSettingsService(ISettingsStore store, IBrokerRuntimeSettings broker, IOptions<HistoryOptions>? history = null, TenantDirectory? tenants = null)
{
    /// <summary>Field of a quota refusal (the retention is longer than the tenant's <c>historyRetentionDays</c>).</summary>
    public const string QuotaField = "quota";

    /// <summary>The fields a non-default tenant may not change (installation-wide broker settings).</summary>
    public static IReadOnlyList<string> InstallationFields { get; } = [PayloadField, RateField, DuplicateClientIdField];

    /// <summary>True when <paramref name="tenantId"/> changes installation-wide settings (the default tenant, the platform).</summary>
    public static bool ManagesInstallation(string tenantId) => string.Equals(tenantId, Tenants.Default, StringComparison.Ordinal);

    /// <summary>
    /// The settings as <paramref name="tenantId"/> sees them: the installation's for the default tenant; for another
    /// tenant the broker's values and its own retention (the installation's until it saves one). Null when the
    /// database is unavailable.
    /// </summary>
    public async Task<ConsoleSettingsValues?> LoadAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        var installation = await LoadAsync(cancellationToken).ConfigureAwait(false);
        if (installation is null || ManagesInstallation(tenantId))
        {
            return installation;
        }

        IReadOnlyDictionary<string, string>? own;
        using (TenantScope.Enter(tenantId))
        {
            own = await store.ListAsync(cancellationToken).ConfigureAwait(false);
        }

        if (own is null)
        {
            return null;
        }

        return ConsoleSettingKeys.TryParseRetention(own.GetValueOrDefault(ConsoleSettingKeys.HistoryRetentionKey), out var retention)
            ? installation with { HistoryRetention = retention }
            : installation;
    }

    /// <summary>The longest history retention <paramref name="tenantId"/> may choose, in days (its quota); null without tenancy.</summary>
    public async Task<int?> RetentionQuotaDaysAsync(string tenantId, CancellationToken cancellationToken = default) =>
        tenants is null ? null : (await tenants.QuotasAsync(tenantId, cancellationToken).ConfigureAwait(false)).HistoryRetentionDays;

    /// <summary>
    /// What <paramref name="tenantId"/> may not save of <paramref name="values"/>: an installation-wide setting changed by
    /// a tenant other than the default one (by field), a retention longer than its quota (field <see cref="QuotaField"/>).
    /// </summary>
    public async Task<IReadOnlyList<SettingError>> CheckTenantAsync(string tenantId, ConsoleSettingsValues values, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var errors = new List<SettingError>();
        if (!ManagesInstallation(tenantId))
        {
            var current = broker.Requested;
            Refuse(values.MaxPayloadBytes != current.MaxPayloadBytes, PayloadField, current.MaxPayloadBytes.ToString(CultureInfo.InvariantCulture));
            Refuse(values.ConnectionRatePerIpPerSecond != current.ConnectionRatePerIpPerSecond, RateField, current.ConnectionRatePerIpPerSecond.ToString(CultureInfo.InvariantCulture));
            Refuse(values.DuplicateClientId != current.DuplicateClientId, DuplicateClientIdField, ConsoleSettingKeys.Format(current.DuplicateClientId));
        }

        if (Enum.IsDefined(values.HistoryRetention)
            && await RetentionQuotaDaysAsync(tenantId, cancellationToken).ConfigureAwait(false) is { } days
            && ConsoleSettingKeys.Duration(values.HistoryRetention) > TimeSpan.FromDays(days))
        {
            errors.Add(new SettingError(QuotaField, $"tenant '{tenantId}' may keep message history at most {days} days (quota historyRetentionDays); {ConsoleSettingKeys.Format(values.HistoryRetention)} is longer"));
        }

        return errors;

        void Refuse(bool changed, string field, string current)
        {
            if (changed)
            {
                errors.Add(new SettingError(field, $"is installation-wide: only the platform (the default tenant) changes it; it stays {current} (send it unchanged or leave it out)"));
            }
        }
    }

    /// <summary>
    /// Saves the settings for <paramref name="tenantId"/>: the default tenant saves and applies everything
    /// (<see cref="SaveAsync(ConsoleSettingsValues, CancellationToken)"/>); another tenant stores only its history
    /// retention. Refused when <see cref="CheckTenantAsync"/> finds anything.
    /// </summary>
    public async Task<SettingsSaveResult> SaveAsync(string tenantId, ConsoleSettingsValues values, CancellationToken cancellationToken = default)
    {
        var refused = await CheckTenantAsync(tenantId, values, cancellationToken).ConfigureAwait(false);
        if (refused.Count > 0)
        {
            var messages = new List<string>(refused.Count);
            foreach (var error in refused)
            {
                messages.Add(error.Field == QuotaField ? error.Message : $"{error.Field} {error.Message}");
            }

            return new SettingsSaveResult(messages, [], []);
        }

        if (ManagesInstallation(tenantId))
        {
            return await SaveAsync(values, cancellationToken).ConfigureAwait(false);
        }

        if (!Enum.IsDefined(values.HistoryRetention))
        {
            return new SettingsSaveResult([RetentionMessage], [], []);
        }

        bool stored;
        using (TenantScope.Enter(tenantId))
        {
            stored = await store.SetAsync(ConsoleSettingKeys.HistoryRetentionKey, ConsoleSettingKeys.Format(values.HistoryRetention), cancellationToken).ConfigureAwait(false);
        }

        return stored
            ? new SettingsSaveResult([], ["history retention"], [])
            : new SettingsSaveResult([$"The settings could not be saved: the database did not accept '{ConsoleSettingKeys.HistoryRetentionKey}' (it may be unavailable; see the log)."], [], []);
    }

    /// <summary>The installation's stored values (the default tenant's) over the broker's current ones; null when the database is unavailable.</summary>
    public async Task<ConsoleSettingsValues?> LoadAsync(CancellationToken cancellationToken = default)
    {
        using var installation = TenantScope.Enter(Tenants.Default);
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

    /// <summary>Field names of the settings (the REST API's JSON names), used by <see cref="ValidateFields"/>.</summary>
    public const string RetentionField = "historyRetention";
    public const string PayloadField = "maxPayloadBytes";
    public const string RateField = "connectionRateLimitPerIpPerSecond";
    public const string DuplicateClientIdField = "duplicateClientId";

    /// <summary>Why <paramref name="bytes"/> is not a valid payload limit, in words; null when it is.</summary>
    public static string? ValidatePayload(int bytes) => bytes switch
    {
        < 1 => "The payload limit must be at least 1 byte.",
        > BrokerRuntimeSettingsValues.MaxPayloadLimit => $"The payload limit cannot exceed {BrokerRuntimeSettingsValues.MaxPayloadLimit} bytes (256 MB, the largest MQTT packet).",
        _ => null,
    };

    /// <summary>Why <paramref name="perSecond"/> is not a valid connection rate limit, in words; null when it is.</summary>
    public static string? ValidateRate(int perSecond) => perSecond switch
    {
        < 0 => "The connection rate limit cannot be negative; use 0 to turn it off.",
        > BrokerRuntimeSettingsValues.MaxConnectionRate => $"The connection rate limit cannot exceed {BrokerRuntimeSettingsValues.MaxConnectionRate} connections per second and IP.",
        _ => null,
    };

    /// <summary>Every invalid value with the setting it concerns (the Settings page's messages); empty when all are valid.</summary>
    public static IReadOnlyList<SettingError> ValidateFields(ConsoleSettingsValues values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var errors = new List<SettingError>();
        if (!Enum.IsDefined(values.HistoryRetention))
        {
            errors.Add(new SettingError(RetentionField, RetentionMessage));
        }

        if (ValidatePayload(values.MaxPayloadBytes) is { } payload)
        {
            errors.Add(new SettingError(PayloadField, payload));
        }

        if (ValidateRate(values.ConnectionRatePerIpPerSecond) is { } rate)
        {
            errors.Add(new SettingError(RateField, rate));
        }

        if (!Enum.IsDefined(values.DuplicateClientId))
        {
            errors.Add(new SettingError(DuplicateClientIdField, DuplicateClientIdMessage));
        }

        return errors;
    }

    /// <summary>The allowed retention values, in words.</summary>
    public const string RetentionMessage = "Message history retention must be 12 hours, 24 hours, 48 hours or 7 days (12h, 24h, 48h, 7d).";

    /// <summary>The allowed duplicate client id policies, in words.</summary>
    public const string DuplicateClientIdMessage = "The duplicate client id policy must be takeover (disconnect the old client) or reject (refuse the new one).";

    public static IReadOnlyList<string> Validate(ConsoleSettingsValues values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var errors = new List<string>();
        if (!Enum.IsDefined(values.HistoryRetention))
        {
            errors.Add(RetentionMessage);
        }

        errors.AddRange(ToBroker(values).Validate());
        return errors;
    }

    /// <summary>
    /// Validates, stores every value as the installation's (the default tenant's), then applies the broker ones. Nothing
    /// is applied when storing fails. Callers acting for a tenant use <see cref="SaveAsync(string, ConsoleSettingsValues, CancellationToken)"/>.
    /// </summary>
    public async Task<SettingsSaveResult> SaveAsync(ConsoleSettingsValues values, CancellationToken cancellationToken = default)
    {
        using var installation = TenantScope.Enter(Tenants.Default);
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
