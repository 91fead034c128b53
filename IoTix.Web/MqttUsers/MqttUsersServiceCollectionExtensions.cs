using IoTix.Broker.Security;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IoTix.Web.MqttUsers;

/// <summary>A tenant's MQTT users: the store and API service, and the broker's runtime user source.</summary>
internal static class MqttUsersServiceCollectionExtensions
{
    public static IServiceCollection AddIoTixMqttUsers(this IServiceCollection services)
    {
        services.TryAddSingleton<MqttUserCache>();
        services.TryAddSingleton<IMqttUserSource>(static sp => sp.GetRequiredService<MqttUserCache>());
        services.AddHostedService(static sp => sp.GetRequiredService<MqttUserCache>());
        services.TryAddSingleton<MqttUserService>();
        return services;
    }
}
