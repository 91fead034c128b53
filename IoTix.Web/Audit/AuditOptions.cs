using Microsoft.Extensions.Options;

namespace IoTix.Web.Audit;

/// <summary>Audit log settings (section <c>IoTix:Audit</c>).</summary>
public sealed class AuditOptions
{
    public const string SectionName = "IoTix:Audit";

    /// <summary>Entries older than this many days are purged (<c>IoTix:Audit:RetentionDays</c>).</summary>
    public int RetentionDays { get; set; } = 90;

    /// <summary>How often the purge runs (<c>IoTix:Audit:PurgeIntervalMinutes</c>).</summary>
    public int PurgeIntervalMinutes { get; set; } = 60;

    /// <summary>Most entries one query or export returns (<c>IoTix:Audit:MaxQueryRows</c>).</summary>
    public int MaxQueryRows { get; set; } = 10_000;
}

internal sealed class AuditOptionsValidator : IValidateOptions<AuditOptions>
{
    public ValidateOptionsResult Validate(string? name, AuditOptions options)
    {
        var failures = new List<string>();
        if (options.RetentionDays is < 1 or > 36_500)
        {
            failures.Add($"{AuditOptions.SectionName}:RetentionDays must be between 1 and 36500 (was {options.RetentionDays})");
        }

        if (options.PurgeIntervalMinutes is < 1 or > 10_080)
        {
            failures.Add($"{AuditOptions.SectionName}:PurgeIntervalMinutes must be between 1 and 10080 (was {options.PurgeIntervalMinutes})");
        }

        if (options.MaxQueryRows is < 1 or > 1_000_000)
        {
            failures.Add($"{AuditOptions.SectionName}:MaxQueryRows must be between 1 and 1000000 (was {options.MaxQueryRows})");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
