using IoTix.Core.Behaviors;
using IoTix.Core.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace IoTix.Core.Devices;

internal static class SimulationServiceCollectionExtensions
{
    /// <summary>
    /// Registers the simulation engine, its options (<c>IoTix:Simulation</c>, validated on start), the
    /// hosted service running the scheduler and the behaviour model check. The engine uses the
    /// generators feature's <c>TelemetryGeneratorFactory</c> (registered by <c>AddGenerators</c>).
    /// </summary>
    public static IServiceCollection AddSimulationEngine(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SimulationOptions>()
            .Bind(configuration.GetSection(SimulationOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SimulationOptions>, SimulationOptionsValidator>());
        services.TryAddSingleton<SimulationEngine>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDeviceModelCheck, BehaviorModelCheck>());
        services.AddHostedService<SimulationEngineHostedService>();
        return services;
    }
}

/// <summary>Starts the engine's scheduler with the host and stops every device when the host stops.</summary>
internal sealed class SimulationEngineHostedService(SimulationEngine engine) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        engine.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => engine.StopAsync(cancellationToken);
}
