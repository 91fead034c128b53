using IoTix.Broker;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Components.Pages.Settings;

public static class SettingsConsoleServiceCollectionExtensions
{
    /// <summary>The Settings page: its service and view model, and the stored broker settings applied at start.</summary>
    public static IServiceCollection AddIoTixSettingsConsole(this IServiceCollection services)
    {
        services.TryAddSingleton<ConsoleSettingsService>();
        services.TryAddTransient<SettingsViewModel>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<BrokerOptions>, StoredBrokerSettings>());
        return services;
    }
}
