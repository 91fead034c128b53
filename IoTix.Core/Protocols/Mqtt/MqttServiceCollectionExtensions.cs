using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IoTix.Core.Protocols.Mqtt;

internal static class MqttServiceCollectionExtensions
{
    /// <summary>
    /// Registers the MQTT adapter (<see cref="IProtocolAdapter"/> for <c>mqtt</c>), its options
    /// (<c>IoTix:Simulation:Mqtt</c>), and the endpoint resolution (<c>IoTix:Simulation:BrokerHost</c>,
    /// <c>BrokerPort</c>, <c>HostAliases</c>; <c>MQTT_BROKER_HOST</c>/<c>MQTT_BROKER_PORT</c> win), all validated on start.
    /// </summary>
    public static IServiceCollection AddMqttAdapter(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EndpointOptions>()
            .Bind(configuration.GetSection(EndpointOptions.SectionName))
            .PostConfigure(options =>
            {
                // The seed README's variables replace the models' broker address.
                var host = configuration[EndpointOptions.HostEnvironmentVariable] ?? Environment.GetEnvironmentVariable(EndpointOptions.HostEnvironmentVariable);
                if (!string.IsNullOrWhiteSpace(host))
                {
                    options.BrokerHost = host.Trim();
                }

                var port = configuration[EndpointOptions.PortEnvironmentVariable] ?? Environment.GetEnvironmentVariable(EndpointOptions.PortEnvironmentVariable);
                if (!string.IsNullOrWhiteSpace(port))
                {
                    options.BrokerPort = int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p) ? p : 0;
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EndpointOptions>, EndpointOptionsValidator>());
        services.TryAddSingleton<EndpointResolver>();

        services.AddOptions<MqttAdapterOptions>()
            .Bind(configuration.GetSection(MqttAdapterOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MqttAdapterOptions>, MqttAdapterOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProtocolAdapter, MqttProtocolAdapter>());
        return services;
    }
}
