using IoTix.Broker;
using IoTix.Broker.Security;
using IoTix.Web.Simulations;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IoTix.Web.MqttUsers;

/// <summary>A tenant's MQTT users: the store and API service, the broker's runtime user source, and the simulator's identities.</summary>
internal static class MqttUsersServiceCollectionExtensions
{
    public static IServiceCollection AddIoTixMqttUsers(this IServiceCollection services)
    {
        services.TryAddSingleton<HostedBrokerTarget>();
        services.TryAddSingleton<SimulatorIdentity>();
        services.TryAddSingleton<IDeviceCredentialsProvider, SimulatorCredentials>(); // the full host only: it needs the simulator's EndpointResolver
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BrokerOptions>, ReservedBrokerUsersValidator>());
        services.TryAddSingleton<MqttUserCache>();
        services.TryAddSingleton<IMqttUserSource>(static sp => sp.GetRequiredService<MqttUserCache>());
        services.AddHostedService(static sp => sp.GetRequiredService<MqttUserCache>());
        services.TryAddSingleton<MqttUserService>();
        return services;
    }
}
