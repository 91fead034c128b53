using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IoTix.Web.Components.Pages.Broker;

public static class BrokerConsoleServiceCollectionExtensions
{
    /// <summary>View models of the Broker pages (one per page instance).</summary>
    public static IServiceCollection AddIoTixBrokerConsole(this IServiceCollection services)
    {
        services.TryAddTransient<BrokerOverviewViewModel>();
        services.TryAddTransient<BrokerClientsViewModel>();
        services.TryAddTransient<BrokerSubscriptionsViewModel>();
        services.TryAddTransient<RetainedMessagesViewModel>();
        services.TryAddTransient<BrokerAclViewModel>();
        services.TryAddTransient<BrokerTraceViewModel>();
        services.TryAddTransient<DevicesViewModel>();
        services.TryAddTransient<HistoryViewModel>();
        services.TryAddTransient<DeadLettersViewModel>();
        services.TryAddTransient<BrokerRulesViewModel>();
        return services;
    }
}
