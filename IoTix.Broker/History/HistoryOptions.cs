using IoTix.Broker.Security;
using Microsoft.Extensions.Options;

namespace IoTix.Broker.History;

/// <summary>Message history (FR-030..FR-032), configuration section <c>Broker:History</c>.</summary>
public sealed class HistoryOptions
{
    public const string SectionName = "Broker:History";

    /// <summary>Environment variable that sets <see cref="Retention"/> (wins over the configuration key).</summary>
    public const string RetentionEnvironmentVariable = "HISTORY_RETENTION";

    /// <summary>Environment variable with comma-separated topic filters that replace <see cref="Topics"/>.</summary>
    public const string TopicsEnvironmentVariable = "HISTORY_TOPICS";

    /// <summary>The retention periods FR-030 allows, in their text form.</summary>
    public const string AllowedRetentions = "12h, 24h, 48h, 7d";

    /// <summary>
    /// Topic filters (MQTT wildcards) whose PUBLISH packets are captured. Empty (the default): history is off and the
    /// publish path carries no capture hook. <c>Broker:History:Topics</c>, or <c>HISTORY_TOPICS=a/#,b/+/c</c>.
    /// </summary>
    public List<string> Topics { get; set; } = [];

    /// <summary>How long messages are kept: 12h, 24h (default), 48h or 7d. <c>Broker:History:Retention</c> / <c>HISTORY_RETENTION</c>; a value saved on the console's Settings page wins.</summary>
    public string Retention { get; set; } = "24h";

    /// <summary>Bound of the capture queue between the MQTT path and the store; when full new messages are not captured (counted). <c>Broker:History:QueueCapacity</c>.</summary>
    public int QueueCapacity { get; set; } = 50_000;

    /// <summary>Messages per store call. <c>Broker:History:BatchSize</c>.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>Most messages kept whatever their age; the purge deletes the oldest beyond it. <c>Broker:History:MaxMessages</c>.</summary>
    public long MaxMessages { get; set; } = 1_000_000;

    /// <summary>Seconds between two purges (retention and <see cref="MaxMessages"/>). <c>Broker:History:PurgeIntervalSeconds</c>.</summary>
    public int PurgeIntervalSeconds { get; set; } = 60;

    /// <summary>Most messages one replay job publishes. <c>Broker:History:MaxReplayMessages</c>.</summary>
    public int MaxReplayMessages { get; set; } = 100_000;

    /// <summary>Finished replay jobs remembered for GET (the oldest finished is forgotten first). <c>Broker:History:MaxReplayJobs</c>.</summary>
    public int MaxReplayJobs { get; set; } = 100;

    public bool IsEnabled => Topics.Count > 0;

    /// <summary>The retention period of a text form (12h, 24h, 48h, 7d; case and surrounding blanks ignored).</summary>
    public static bool TryParseRetention(string? text, out TimeSpan retention)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "12h": retention = TimeSpan.FromHours(12); return true;
            case "24h": retention = TimeSpan.FromHours(24); return true;
            case "48h": retention = TimeSpan.FromHours(48); return true;
            case "7d": retention = TimeSpan.FromDays(7); return true;
            default: retention = TimeSpan.FromHours(24); return false;
        }
    }

    /// <summary>The configured retention (24 h when invalid; the validator refuses that at start).</summary>
    public TimeSpan RetentionPeriod => TryParseRetention(Retention, out var period) ? period : TimeSpan.FromHours(24);
}

/// <summary>Start-up validation of <see cref="HistoryOptions"/>; each message names the key and the allowed values.</summary>
public sealed class HistoryOptionsValidator : IValidateOptions<HistoryOptions>
{
    public ValidateOptionsResult Validate(string? name, HistoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (!HistoryOptions.TryParseRetention(options.Retention, out _))
        {
            errors.Add($"Broker:History:Retention (or {HistoryOptions.RetentionEnvironmentVariable}) '{options.Retention}' must be one of {HistoryOptions.AllowedRetentions}.");
        }

        for (var i = 0; i < options.Topics.Count; i++)
        {
            if (!MqttTopicMatch.IsValidFilter(options.Topics[i], out var problem))
            {
                errors.Add($"Broker:History:Topics:{i} '{options.Topics[i]}' is not a valid MQTT topic filter: {problem}.");
            }
        }

        Check(errors, "QueueCapacity", options.QueueCapacity, 1, 10_000_000);
        Check(errors, "BatchSize", options.BatchSize, 1, 100_000);
        Check(errors, "PurgeIntervalSeconds", options.PurgeIntervalSeconds, 1, 86_400);
        Check(errors, "MaxReplayMessages", options.MaxReplayMessages, 1, 10_000_000);
        Check(errors, "MaxReplayJobs", options.MaxReplayJobs, 1, 100_000);
        if (options.MaxMessages < 1)
        {
            errors.Add($"Broker:History:MaxMessages {options.MaxMessages} must be at least 1.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Check(List<string> errors, string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add($"Broker:History:{key} {value} must be between {min} and {max}.");
        }
    }
}
