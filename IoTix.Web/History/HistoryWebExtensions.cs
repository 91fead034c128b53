using IoTix.Broker.DeadLetters;
using IoTix.Broker.History;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IoTix.Web.History;

public static class HistoryWebExtensions
{
    /// <summary>
    /// The database side of message history and the dead-letter queue: <see cref="IHistoryStore"/>,
    /// <see cref="IDeadLetterStore"/> (tables broker_history, broker_dead_letters) and the retention purge.
    /// </summary>
    public static IServiceCollection AddIoTixHistoryStores(this IServiceCollection services)
    {
        services.TryAddSingleton<KnownTenants>();
        services.TryAddSingleton<TenantMessageData>();
        services.TryAddSingleton<EfHistoryStore>();
        services.TryAddSingleton<IHistoryStore>(static sp => sp.GetRequiredService<EfHistoryStore>());
        services.TryAddSingleton<EfDeadLetterStore>();
        services.TryAddSingleton<IDeadLetterStore>(static sp => sp.GetRequiredService<EfDeadLetterStore>());
        services.TryAddSingleton<HistoryRetentionPurge>();
        services.AddHostedService(static sp => sp.GetRequiredService<HistoryRetentionPurge>());
        return services;
    }
}
