using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IoTix.Core.Models;

internal static class DeviceModelServiceCollectionExtensions
{
    /// <summary>
    /// Registers the model validator, the catalog (as <see cref="IDeviceModelCatalog"/> and
    /// <see cref="IDeviceModelRegistry"/>), its options and the hosted service that loads and
    /// watches the model folder at start. Features add rules as <see cref="IDeviceModelCheck"/>.
    /// </summary>
    public static IServiceCollection AddDeviceModels(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DeviceModelOptions>()
            .Bind(configuration.GetSection(DeviceModelOptions.SectionName))
            .PostConfigure(options =>
            {
                // DEVICE_MODEL_PATH (the seed README's variable) wins over IoTix:Models:Path.
                var overridePath = configuration[DeviceModelOptions.PathEnvironmentVariable]
                    ?? Environment.GetEnvironmentVariable(DeviceModelOptions.PathEnvironmentVariable);
                if (!string.IsNullOrWhiteSpace(overridePath))
                {
                    options.Path = overridePath;
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DeviceModelOptions>, DeviceModelOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DeviceModelValidator>();
        services.TryAddSingleton(static sp =>
        {
            var options = sp.GetRequiredService<IOptions<DeviceModelOptions>>().Value;
            var contentRoot = sp.GetService<IHostEnvironment>()?.ContentRootPath;
            return new DeviceModelCatalog(
                ResolveFolder(options.Path, contentRoot),
                sp.GetRequiredService<DeviceModelValidator>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<DeviceModelCatalog>>(),
                TimeSpan.FromMilliseconds(options.ReloadDebounceMs));
        });
        services.TryAddSingleton<IDeviceModelCatalog>(static sp => sp.GetRequiredService<DeviceModelCatalog>());
        services.TryAddSingleton<IDeviceModelRegistry>(static sp => sp.GetRequiredService<DeviceModelCatalog>());
        services.AddHostedService<DeviceModelCatalogService>();
        return services;
    }

    /// <summary>An absolute model folder: <paramref name="path"/> as is, or relative to the content root (else the current directory).</summary>
    internal static string ResolveFolder(string path, string? contentRoot) =>
        Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(contentRoot ?? Directory.GetCurrentDirectory(), path));
}

/// <summary>Loads the model folder when the host starts and watches it while the host runs.</summary>
internal sealed class DeviceModelCatalogService(DeviceModelCatalog catalog, IOptions<DeviceModelOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Watch)
        {
            catalog.StartWatching();
        }
        else
        {
            catalog.Load();
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        catalog.StopWatching();
        return Task.CompletedTask;
    }
}
