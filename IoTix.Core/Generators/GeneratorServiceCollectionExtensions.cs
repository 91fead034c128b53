using IoTix.Core.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IoTix.Core.Generators;

internal static class GeneratorServiceCollectionExtensions
{
    /// <summary>
    /// Registers the generator factory, the custom handler registry, the built-in handlers
    /// (<c>ecg_generator</c>, <c>script</c>), the generator model check and <see cref="GeneratorOptions"/>.
    /// Plugins add handlers with <c>services.AddSingleton&lt;ICustomGeneratorHandler, TheirHandler&gt;()</c>.
    /// </summary>
    public static IServiceCollection AddGenerators(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GeneratorOptions>()
            .Bind(configuration.GetSection(GeneratorOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GeneratorOptions>, GeneratorOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICustomGeneratorHandler, EcgGeneratorHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICustomGeneratorHandler, ScriptGeneratorHandler>());
        services.TryAddSingleton<CustomGeneratorRegistry>();
        services.TryAddSingleton<TelemetryGeneratorFactory>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDeviceModelCheck, GeneratorModelCheck>());
        return services;
    }
}
