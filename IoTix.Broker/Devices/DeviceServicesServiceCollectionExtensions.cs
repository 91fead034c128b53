using IoTix.Broker.Methods;
using IoTix.Broker.Server;
using IoTix.Broker.Shadows;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IoTix.Broker.Devices;

internal static class DeviceServicesServiceCollectionExtensions
{
    /// <summary>Presence (<see cref="IDevicePresence"/>), shadows (<see cref="IShadowService"/>) and direct methods (<see cref="IDirectMethods"/>), section <c>Broker:Devices</c>.</summary>
    public static IServiceCollection AddBrokerDeviceServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DeviceServicesOptions>()
            .Bind(configuration.GetSection(DeviceServicesOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DeviceServicesOptions>, DeviceServicesOptionsValidator>());
        services.TryAddSingleton<DevicePresence>();
        services.TryAddSingleton<IDevicePresence>(static sp => sp.GetRequiredService<DevicePresence>());
        services.TryAddSingleton<ShadowService>();
        services.TryAddSingleton<IShadowService>(static sp => sp.GetRequiredService<ShadowService>());
        services.TryAddSingleton<DirectMethods>();
        services.TryAddSingleton<IDirectMethods>(static sp => sp.GetRequiredService<DirectMethods>());
        services.TryAddSingleton<DeviceServices>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBrokerServerExtension, DeviceServices>(static sp => sp.GetRequiredService<DeviceServices>()));
        return services;
    }
}
