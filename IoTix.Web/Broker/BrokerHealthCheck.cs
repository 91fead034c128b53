using IoTix.Broker;
using IoTix.Broker.Observability;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Broker;

/// <summary>Readiness (FR-027): healthy when the broker listens, or when it is disabled by configuration.</summary>
internal sealed class BrokerHealthCheck(IBrokerStatus status, IOptions<BrokerOptions> options) : IHealthCheck
{
    public const string ReadyTag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!options.Value.Enabled)
        {
            return Task.FromResult(HealthCheckResult.Healthy("broker disabled (Broker:Enabled=false)"));
        }

        return Task.FromResult(status.IsListening
            ? HealthCheckResult.Healthy("broker listening")
            : HealthCheckResult.Unhealthy("broker not listening"));
    }
}
