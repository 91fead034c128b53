using IoTix.Broker;

namespace IoTix.Web.Components.Pages.Settings;

/// <summary>How long message history is kept (FR-030: 12 h, 24 h default, 48 h, 7 days).</summary>
public enum HistoryRetention
{
    Hours12,
    Hours24,
    Hours48,
    Days7,
}

/// <summary>The settings of the console's Settings page (FR-014, FR-014a, FR-014b, FR-030).</summary>
public sealed record ConsoleSettingsValues(
    HistoryRetention HistoryRetention,
    int MaxPayloadBytes,
    int ConnectionRatePerIpPerSecond,
    DuplicateClientIdPolicy DuplicateClientId);

/// <summary>Keys of the settings store (table <c>settings</c>) and their text forms.</summary>
public static class ConsoleSettingKeys
{
    public const string HistoryRetentionKey = "history.retention";
    public const string MaxPayloadBytesKey = "broker.maxPayloadBytes";
    public const string ConnectionRatePerIpPerSecondKey = "broker.connectionRateLimit.perIpPerSecond";
    public const string DuplicateClientIdKey = "broker.duplicateClientId";

    public const HistoryRetention DefaultRetention = HistoryRetention.Hours24;

    public static string Format(HistoryRetention retention) => retention switch
    {
        HistoryRetention.Hours12 => "12h",
        HistoryRetention.Hours48 => "48h",
        HistoryRetention.Days7 => "7d",
        _ => "24h",
    };

    public static bool TryParseRetention(string? text, out HistoryRetention retention)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "12h": retention = HistoryRetention.Hours12; return true;
            case "24h": retention = HistoryRetention.Hours24; return true;
            case "48h": retention = HistoryRetention.Hours48; return true;
            case "7d": retention = HistoryRetention.Days7; return true;
            default: retention = DefaultRetention; return false;
        }
    }

    public static TimeSpan Duration(HistoryRetention retention) => retention switch
    {
        HistoryRetention.Hours12 => TimeSpan.FromHours(12),
        HistoryRetention.Hours48 => TimeSpan.FromHours(48),
        HistoryRetention.Days7 => TimeSpan.FromDays(7),
        _ => TimeSpan.FromHours(24),
    };

    public static string Format(DuplicateClientIdPolicy policy) => policy == DuplicateClientIdPolicy.Reject ? "reject" : "takeover";

    public static bool TryParsePolicy(string? text, out DuplicateClientIdPolicy policy)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "takeover": policy = DuplicateClientIdPolicy.Takeover; return true;
            case "reject": policy = DuplicateClientIdPolicy.Reject; return true;
            default: policy = DuplicateClientIdPolicy.Takeover; return false;
        }
    }

    public static bool TryParseInt(string? text, out int value) =>
        int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out value);
}
