using Microsoft.Extensions.Options;

namespace IoTix.Web.Tenancy;

/// <summary>Tenancy settings (section <c>IoTix:Tenancy</c>): the quotas of a tenant that sets none of its own.</summary>
public sealed class TenancyOptions
{
    public const string SectionName = "IoTix:Tenancy";

    /// <summary>Default quotas (<c>IoTix:Tenancy:DefaultQuotas:MaxDevices</c> ...).</summary>
    public TenantQuotas DefaultQuotas { get; set; } = new();
}

/// <summary>What a tenant may use. The default tenant's defaults are generous so a single-tenant installation is not limited.</summary>
public sealed class TenantQuotas
{
    /// <summary>Devices in the tenant's groups and single devices together (<c>MaxDevices</c>).</summary>
    public int MaxDevices { get; set; } = 1_000_000;

    /// <summary>Groups of the tenant (<c>MaxGroups</c>).</summary>
    public int MaxGroups { get; set; } = 1_000;

    /// <summary>Planned telemetry messages per second of the tenant's running groups (<c>MaxMessagesPerSecond</c>).</summary>
    public int MaxMessagesPerSecond { get; set; } = 1_000_000;

    /// <summary>Days the tenant's history is kept (<c>HistoryRetentionDays</c>), for the history store.</summary>
    public int HistoryRetentionDays { get; set; } = 30;
}

internal sealed class TenancyOptionsValidator : IValidateOptions<TenancyOptions>
{
    public ValidateOptionsResult Validate(string? name, TenancyOptions options)
    {
        var failures = new List<string>();
        var q = options.DefaultQuotas;
        Check(failures, nameof(q.MaxDevices), q.MaxDevices);
        Check(failures, nameof(q.MaxGroups), q.MaxGroups);
        Check(failures, nameof(q.MaxMessagesPerSecond), q.MaxMessagesPerSecond);
        Check(failures, nameof(q.HistoryRetentionDays), q.HistoryRetentionDays);
        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }

    private static void Check(List<string> failures, string key, int value)
    {
        if (value < 1)
        {
            failures.Add($"{TenancyOptions.SectionName}:DefaultQuotas:{key} must be at least 1 (was {value})");
        }
    }
}
