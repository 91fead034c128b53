using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IoTix.Web.Simulations;

public static class SimulationsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the web side of simulations: the stores (EF, in the IoTix database), the orchestrator, its options
    /// (<c>IoTix:Simulation:ResumeOnStart</c>) and the hosted service that restores stored simulations at start.
    /// Register after <c>AddIoTixData</c> and <c>AddIoTixCore</c> (their hosted services migrate the database, load
    /// the model folder and start the engine first).
    /// </summary>
    public static IServiceCollection AddIoTixSimulations(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<SimulationHostOptions>()
            .Bind(configuration.GetSection(SimulationHostOptions.SectionName))
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<StoreAccess>();
        services.TryAddSingleton<IApiModelStore, EfApiModelStore>();
        services.TryAddSingleton<IGroupStore, EfGroupStore>();
        services.TryAddSingleton<IDeviceStateStore, EfDeviceStateStore>();
        services.TryAddSingleton<IRunStore, EfRunStore>();
        services.TryAddSingleton<ISettingsStore, EfSettingsStore>();
        services.TryAddSingleton<SimulationOrchestrator>();
        services.AddHostedService<SimulationRestoreService>();
        return services;
    }
}

/// <summary>Restores stored simulations when the host starts; ends the open runs (with their counters) when it stops.</summary>
internal sealed class SimulationRestoreService(SimulationOrchestrator orchestrator) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => orchestrator.RestoreAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => orchestrator.EndRunsAsync(cancellationToken);
}
