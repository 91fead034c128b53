using IoTix.Broker.Shadows;
using IoTix.Web.MqttUsers;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Devices;

/// <summary>The web side of the broker's device services: shadow persistence, the registry and its status writer, the MQTT users.</summary>
public static class DevicesWebExtensions
{
    public static IServiceCollection AddIoTixDevicesWeb(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<DeviceRegistryOptions>()
            .Bind(configuration.GetSection(DeviceRegistryOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DeviceRegistryOptions>, DeviceRegistryOptionsValidator>());
        services.TryAddSingleton<KnownTenants>();
        services.TryAddSingleton<IShadowStore, EfShadowStore>();
        services.TryAddSingleton<IDeviceRegistry, DeviceRegistry>();
        services.TryAddSingleton<RegistryStatusWriter>();
        services.AddHostedService(static sp => sp.GetRequiredService<RegistryStatusWriter>());
        services.AddIoTixMqttUsers(); // the tenants' MQTT users, authenticated by the broker at run time (IoTix.Web/MqttUsers)
        return services;
    }
}
