using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IoTix.Core.Protocols.Http;

internal static class HttpServiceCollectionExtensions
{
    /// <summary>Registers the built-in HTTP adapter (protocol <c>http</c>) and its options (<c>IoTix:Simulation:Http</c>, validated on start).</summary>
    public static IServiceCollection AddHttpAdapter(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HttpOptions>()
            .Bind(configuration.GetSection(HttpOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HttpOptions>, HttpOptionsValidator>());
        services.TryAddSingleton<HttpProtocolAdapter>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProtocolAdapter, HttpProtocolAdapter>(static sp => sp.GetRequiredService<HttpProtocolAdapter>()));
        return services;
    }
}
