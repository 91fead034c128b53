using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IoTix.Core.Protocols.Coap;

internal static class CoapServiceCollectionExtensions
{
    /// <summary>Registers the built-in CoAP adapter (protocol <c>coap</c>) and its options (<c>IoTix:Simulation:Coap</c>, validated on start).</summary>
    public static IServiceCollection AddCoapAdapter(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CoapOptions>()
            .Bind(configuration.GetSection(CoapOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CoapOptions>, CoapOptionsValidator>());
        services.TryAddSingleton<CoapProtocolAdapter>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProtocolAdapter, CoapProtocolAdapter>(static sp => sp.GetRequiredService<CoapProtocolAdapter>()));
        return services;
    }
}
