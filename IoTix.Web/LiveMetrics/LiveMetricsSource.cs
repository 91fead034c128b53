using IoTix.Broker;
using IoTix.Broker.Observability;
using IoTix.Core.Devices;
using Microsoft.Extensions.Options;

namespace IoTix.Web.LiveMetrics;

/// <summary>Where the sampler reads its counters: the engine's statistics and the hosted broker's snapshot.</summary>
internal interface ILiveMetricsSource
{
    SimulationStats GetSimulationStats();

    /// <summary>The broker's counters, or null when the hosted broker is disabled.</summary>
    BrokerMetricsSnapshot? GetBrokerMetrics();
}

/// <summary>The real source: <see cref="SimulationEngine.GetStats"/> and <see cref="IBrokerMetrics"/>.</summary>
internal sealed class EngineLiveMetricsSource(SimulationEngine engine, IBrokerMetrics broker, IOptions<BrokerOptions> brokerOptions) : ILiveMetricsSource
{
    private readonly bool _brokerEnabled = brokerOptions.Value.Enabled;

    public SimulationStats GetSimulationStats() => engine.GetStats();

    public BrokerMetricsSnapshot? GetBrokerMetrics() => _brokerEnabled ? broker.GetSnapshot() : null;
}
