using IoTix.Broker.Rules;
using IoTix.Web.Simulations;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IoTix.Web.Rules;

/// <summary>The web side of the rules engine: rules and rule events in the IoTix database, rule metrics on /metrics.</summary>
public static class RulesWebExtensions
{
    /// <summary>Stores and metrics; <see cref="RuleService"/> (scoped) needs the console host's <c>ITenantContext</c>.</summary>
    public static IServiceCollection AddIoTixRulesWeb(this IServiceCollection services)
    {
        services.TryAddSingleton<StoreAccess>();
        services.TryAddSingleton<EfRuleStore>();
        services.TryAddSingleton<IRuleStore>(static sp => sp.GetRequiredService<EfRuleStore>());
        services.TryAddSingleton<IRuleRepository>(static sp => sp.GetRequiredService<EfRuleStore>());
        services.TryAddSingleton<IRuleEventSink, EfRuleEventSink>();
        services.TryAddSingleton<RulePrometheusMetrics>();
        services.TryAddScoped<RuleService>();
        return services;
    }

    /// <summary>Hooks the rule counters into the host's metrics registry.</summary>
    public static WebApplication UseIoTixRulesWeb(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        _ = app.Services.GetRequiredService<RulePrometheusMetrics>();
        return app;
    }
}
