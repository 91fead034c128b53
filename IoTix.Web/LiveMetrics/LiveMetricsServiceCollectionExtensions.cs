using IoTix.Web.Components.Pages.Dashboard;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IoTix.Web.LiveMetrics;

/// <summary>Registers the live metrics pipeline (sampler, SignalR hub, device inspector) and the dashboard settings.</summary>
public static class LiveMetricsServiceCollectionExtensions
{
    public static IServiceCollection AddIoTixLiveMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<LiveMetricsOptions>()
            .Bind(configuration.GetSection(LiveMetricsOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LiveMetricsOptions>, LiveMetricsOptionsValidator>());
        services.AddOptions<DashboardOptions>()
            .Bind(configuration.GetSection(DashboardOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DashboardOptions>, DashboardOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.AddSignalR();
        services.TryAddSingleton<ILiveMetricsSource, EngineLiveMetricsSource>();
        services.TryAddSingleton<LiveMetricsSampler>();
        services.TryAddSingleton<ILiveMetrics>(static sp => sp.GetRequiredService<LiveMetricsSampler>());
        services.AddHostedService(static sp => sp.GetRequiredService<LiveMetricsSampler>());
        services.TryAddSingleton<LiveMetricsHubBroadcaster>();
        services.TryAddSingleton<DeviceInspector>();
        services.TryAddTransient<DashboardViewModel>();
        services.TryAddTransient<InspectorViewModel>();
        return services;
    }

    /// <summary>Maps the live metrics hub at <c>/hubs/metrics</c>.</summary>
    public static WebApplication MapIoTixLiveMetrics(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHub<LiveMetricsHub>(LiveMetricsHub.Path).RequireAuthorization(Accounts.Permissions.LiveRead); // each caller gets its tenant's view
        return app;
    }
}
