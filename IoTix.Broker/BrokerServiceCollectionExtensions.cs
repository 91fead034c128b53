using IoTix.Broker.Admin;
using IoTix.Broker.Devices;
using IoTix.Broker.DeadLetters;
using IoTix.Broker.History;
using IoTix.Broker.Limits;
using IoTix.Broker.Listeners;
using IoTix.Broker.Observability;
using IoTix.Broker.Persistence;
using IoTix.Broker.Rules;
using IoTix.Broker.Security;
using IoTix.Broker.Server;
using IoTix.Broker.Sessions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace IoTix.Broker;

public static class BrokerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the hosted MQTT broker (section <c>Broker</c>, validated at start-up) and its services:
    /// <see cref="IBrokerMetrics"/>, <see cref="IBrokerStatus"/>, <see cref="IBrokerTrace"/>, <see cref="IBrokerAdmin"/> (console) and
    /// <see cref="IBrokerRuntimeSettings"/> (settings changed at run time). Hosts add transports (WebSocket) as
    /// <see cref="BrokerTransport"/> singletons and persistence as <see cref="Retained.IRetainedMessageStore"/> and <see cref="ISessionStore"/>.
    /// </summary>
    public static IServiceCollection AddIoTixBroker(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<BrokerOptions>()
            .Bind(configuration.GetSection(BrokerOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BrokerOptions>, BrokerOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        services.TryAddSingleton<BrokerMetrics>();
        services.TryAddSingleton<IBrokerMetrics>(static sp => sp.GetRequiredService<BrokerMetrics>());
        services.TryAddSingleton<BrokerTrace>();
        services.TryAddSingleton<IBrokerTrace>(static sp => sp.GetRequiredService<BrokerTrace>());
        services.TryAddSingleton<ConnectedClients>();
        services.TryAddSingleton(static sp => new SharedSubscriptionRegistry(sp.GetRequiredService<ConnectedClients>().IsConnected));
        services.TryAddSingleton<SessionExpiryMonitor>();
        services.TryAddSingleton<MessageExpiry>();
        services.TryAddSingleton<BrokerWriteBehind>();
        services.TryAddSingleton<PersistentSessions>();
        services.TryAddSingleton<ConnectionRateLimiter>();
        services.TryAddSingleton(static sp => new PayloadLimit(sp.GetRequiredService<IOptions<BrokerOptions>>().Value.MaxPayloadBytes));
        services.TryAddSingleton<ConnectionGate>();
        services.TryAddSingleton<AclStore>();
        services.TryAddSingleton<UserDirectory>();
        services.TryAddSingleton<BrokerHostedService>();
        services.TryAddSingleton<IBrokerStatus>(static sp => sp.GetRequiredService<BrokerHostedService>());
        services.AddHostedService(static sp => sp.GetRequiredService<BrokerHostedService>());
        services.TryAddSingleton<BrokerRuntimeSettings>();
        services.TryAddSingleton<IBrokerRuntimeSettings>(static sp => sp.GetRequiredService<BrokerRuntimeSettings>());
        services.TryAddSingleton<IBrokerAdmin, BrokerAdmin>();
        services.AddBrokerDeviceServices(configuration); // presence, shadows, direct methods (IoTix.Broker/Devices)
        services.AddBrokerHistory(configuration);
        AddRules(services, configuration); // the rules engine (IoTix.Broker/Rules)

        return services;
    }

    /// <summary>
    /// Message history (<c>Broker:History</c>, <c>HISTORY_RETENTION</c>, <c>HISTORY_TOPICS</c>) and the dead-letter queue
    /// (<c>Broker:DeadLetters</c>); hosts provide <see cref="IHistoryStore"/> and <see cref="IDeadLetterStore"/>.
    /// </summary>
    private static IServiceCollection AddBrokerHistory(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HistoryOptions>()
            .Bind(configuration.GetSection(HistoryOptions.SectionName))
            .PostConfigure(options =>
            {
                // The environment variables win over Broker:History.
                if (configuration[HistoryOptions.RetentionEnvironmentVariable] is { Length: > 0 } retention)
                {
                    options.Retention = retention;
                }

                if (configuration[HistoryOptions.TopicsEnvironmentVariable] is { Length: > 0 } topics)
                {
                    options.Topics = [.. topics.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HistoryOptions>, HistoryOptionsValidator>());
        services.AddOptions<DeadLetterOptions>()
            .Bind(configuration.GetSection(DeadLetterOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DeadLetterOptions>, DeadLetterOptionsValidator>());
        services.TryAddSingleton<HistoryRecorder>();
        services.TryAddSingleton<DeadLetterRecorder>();
        services.TryAddSingleton<MessageHistory>();
        services.TryAddSingleton<IMessageHistory>(static sp => sp.GetRequiredService<MessageHistory>());
        services.TryAddSingleton<DeadLetterQueue>();
        services.TryAddSingleton<IDeadLetterQueue>(static sp => sp.GetRequiredService<DeadLetterQueue>());

        return services;
    }

    /// <summary>The rules engine (<c>Broker:Rules</c>): after the broker, so it attaches to the running server (hosts provide <see cref="IRuleStore"/> and <see cref="IRuleEventSink"/>).</summary>
    private static void AddRules(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RuleEngineOptions>()
            .Bind(configuration.GetSection(RuleEngineOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RuleEngineOptions>, RuleEngineOptionsValidator>());
        services.TryAddSingleton<RuleEngine>();
        services.TryAddSingleton<IRuleEngine>(static sp => sp.GetRequiredService<RuleEngine>());
        services.AddHostedService(static sp => sp.GetRequiredService<RuleEngine>());
    }
}
