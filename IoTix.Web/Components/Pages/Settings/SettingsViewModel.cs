using IoTix.Broker.Admin;
using IoTix.Broker;
using IoTix.Web.Audit;
using IoTix.Web.Tenancy;

namespace IoTix.Web.Components.Pages.Settings;

/// <summary>The Settings page form: load, per-field validation with messages, save with feedback.</summary>
public sealed class SettingsViewModel(ConsoleSettingsService settings, IBrokerRuntimeSettings broker, ConsoleAudit audit)
{
    /// <summary>The signed-in user's tenant (set by the page): the default tenant changes every setting, another only its history retention.</summary>
    public string TenantId { get; set; } = Tenants.Default;

    /// <summary>True when the broker settings are shown read-only (a tenant other than the default one).</summary>
    public bool InstallationReadOnly => !ConsoleSettingsService.ManagesInstallation(TenantId);

    /// <summary>The longest retention the tenant may choose, in days (its quota); null when unknown.</summary>
    public int? RetentionQuotaDays { get; private set; }

    /// <summary>True when <paramref name="retention"/> is within the tenant's quota.</summary>
    public bool AllowsRetention(HistoryRetention retention) =>
        RetentionQuotaDays is not { } days || ConsoleSettingKeys.Duration(retention) <= TimeSpan.FromDays(days);

    public HistoryRetention HistoryRetention { get; set; } = ConsoleSettingKeys.DefaultRetention;

    public int MaxPayloadBytes { get; set; } = broker.Requested.MaxPayloadBytes;

    public int ConnectionRatePerIpPerSecond { get; set; } = broker.Requested.ConnectionRatePerIpPerSecond;

    public DuplicateClientIdPolicy DuplicateClientId { get; set; } = broker.Requested.DuplicateClientId;

    public bool Loading { get; private set; }

    public bool Saving { get; private set; }

    /// <summary>Why the stored settings could not be read; null when they were.</summary>
    public string? LoadError { get; private set; }

    /// <summary>Errors of the last save attempt, in words.</summary>
    public IReadOnlyList<string> Errors { get; private set; } = [];

    /// <summary>Success message of the last save; null otherwise.</summary>
    public string? Saved { get; private set; }

    /// <summary>The payload limit the running broker enforces, when a different one waits for a restart.</summary>
    public int? PayloadLimitInForceUntilRestart => settings.RestartPending ? settings.ActiveMaxPayloadBytes : null;

    public ConsoleSettingsValues Values => new(HistoryRetention, MaxPayloadBytes, ConnectionRatePerIpPerSecond, DuplicateClientId);

    public bool IsValid => ValidatePayload(MaxPayloadBytes) is null && ValidateRate(ConnectionRatePerIpPerSecond) is null;

    public static string? ValidatePayload(int bytes) => ConsoleSettingsService.ValidatePayload(bytes);

    public static string? ValidateRate(int perSecond) => ConsoleSettingsService.ValidateRate(perSecond);

    public static string RetentionLabel(HistoryRetention retention) => retention switch
    {
        HistoryRetention.Hours12 => "12 hours",
        HistoryRetention.Hours48 => "48 hours",
        HistoryRetention.Days7 => "7 days",
        _ => "24 hours (default)",
    };

    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        Loading = true;
        try
        {
            RetentionQuotaDays = await settings.RetentionQuotaDaysAsync(TenantId, cancellationToken).ConfigureAwait(false);
            var values = await settings.LoadAsync(TenantId, cancellationToken).ConfigureAwait(false);
            if (values is null)
            {
                LoadError = "The saved settings could not be read: the database is unavailable. The form shows the broker's current values; saving needs the database.";
                return;
            }

            LoadError = null;
            HistoryRetention = values.HistoryRetention;
            MaxPayloadBytes = values.MaxPayloadBytes;
            ConnectionRatePerIpPerSecond = values.ConnectionRatePerIpPerSecond;
            DuplicateClientId = values.DuplicateClientId;
        }
        finally
        {
            Loading = false;
        }
    }

    public async Task<bool> SaveAsync(CancellationToken cancellationToken = default)
    {
        Saved = null;
        Saving = true;
        try
        {
            var values = Values;
            var result = await settings.SaveAsync(TenantId, values, cancellationToken).ConfigureAwait(false);
            Errors = result.Errors;
            await audit.RecordAsync("settings.save", "settings", result.Succeeded ? null : string.Join("; ", result.Errors), cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                return false;
            }

            var message = "Settings saved.";
            if (result.AppliedNow.Count > 0)
            {
                message += $" In effect now: {string.Join(", ", result.AppliedNow)}.";
            }

            if (result.PendingRestart.Count > 0)
            {
                message += $" At the next start of IoTix: {string.Join(", ", result.PendingRestart)}.";
            }

            Saved = message;
            return true;
        }
        finally
        {
            Saving = false;
        }
    }
}
