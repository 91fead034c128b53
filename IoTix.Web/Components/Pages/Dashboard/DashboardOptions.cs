using Microsoft.Extensions.Options;

namespace IoTix.Web.Components.Pages.Dashboard;

/// <summary>Console settings of the dashboard (section <c>IoTix:Console</c>).</summary>
public sealed class DashboardOptions
{
    public const string SectionName = "IoTix:Console";

    /// <summary>
    /// A Grafana dashboard shown in a panel of the dashboard page (<c>IoTix:Console:GrafanaUrl</c>), e.g. a
    /// <c>/d/uid/name?kiosk</c> URL; empty hides the panel. Grafana must allow embedding (<c>allow_embedding = true</c>).
    /// </summary>
    public string? GrafanaUrl { get; set; }
}

internal sealed class DashboardOptionsValidator : IValidateOptions<DashboardOptions>
{
    public ValidateOptionsResult Validate(string? name, DashboardOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.GrafanaUrl))
        {
            return ValidateOptionsResult.Success;
        }

        return Uri.TryCreate(options.GrafanaUrl, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{DashboardOptions.SectionName}:GrafanaUrl must be an absolute http or https URL, or empty to hide the Grafana panel (was '{options.GrafanaUrl}')");
    }
}
