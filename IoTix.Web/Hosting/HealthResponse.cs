using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace IoTix.Web.Hosting;

/// <summary>JSON body of the health endpoints: overall status and each check's.</summary>
internal static class HealthResponse
{
    public static HealthCheckOptions Options { get; } = new() { ResponseWriter = WriteAsync };

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var checks = new Dictionary<string, object?>();
        foreach (var (name, entry) in report.Entries)
        {
            checks[name] = new { status = entry.Status.ToString().ToLowerInvariant(), description = entry.Description };
        }

        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            checks,
        });
    }
}
