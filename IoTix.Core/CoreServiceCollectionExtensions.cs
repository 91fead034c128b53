using IoTix.Core.Generators;
using IoTix.Core.Models;
using IoTix.Core.Devices;
using IoTix.Core.Protocols.Mqtt;
using IoTix.Core.Protocols.Coap;
using IoTix.Core.Protocols.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Core;

public static class CoreServiceCollectionExtensions
{
    /// <summary>Registers the simulation core: model catalog, generators, scheduler and engine.</summary>
    public static IServiceCollection AddIoTixCore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton(TimeProvider.System);
        services.AddGenerators(configuration);

        // Device models: validator, catalog of the model folder (hot reload), options.
        services.AddDeviceModels(configuration);
        services.AddSimulationEngine(configuration);
        services.AddMqttAdapter(configuration);
        services.AddCoapAdapter(configuration);
        services.AddHttpAdapter(configuration);
        return services;
    }
}
