using System.Net;
using IoTix.Broker;
using IoTix.Broker.Listeners;
using IoTix.Broker.Observability;
using IoTix.Broker.Retained;
using IoTix.Broker.Sessions;
using IoTix.Web.Devices;
using IoTix.Web.History;
using IoTix.Web.Rules;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MQTTnet.AspNetCore;
using Prometheus;

namespace IoTix.Web.Broker;

/// <summary>
/// The web host's part of the broker: MQTT over WebSocket on its own Kestrel endpoints (path /mqtt),
/// the readiness and liveness probes, and the Prometheus /metrics endpoint.
/// </summary>
public static class BrokerWebExtensions
{
    public const string WebSocketPath = "/mqtt";

    /// <summary>Registers the WebSocket transport and adds Kestrel endpoints for Broker:Listeners:WebSocket/SecureWebSocket.</summary>
    public static WebApplicationBuilder AddIoTixBrokerWeb(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(BrokerOptions.SectionName).Get<BrokerOptions>() ?? new BrokerOptions();
        var services = builder.Services;
        services.AddHealthChecks().AddCheck<BrokerHealthCheck>("broker", tags: [BrokerHealthCheck.ReadyTag]);

        // The host's metrics registry (served on /metrics); other features add their collectors to it.
        services.TryAddSingleton(static _ => Metrics.NewCustomRegistry());
        services.TryAddSingleton<BrokerPrometheusMetrics>();

        // Retained messages and persistent sessions in the IoTix database (AddIoTixData), written behind the MQTT path.
        services.TryAddSingleton<IRetainedMessageStore, EfRetainedMessageStore>();
        services.TryAddSingleton<ISessionStore, EfSessionStore>();
        services.AddIoTixDevicesWeb(builder.Configuration); // shadows store, device registry and its status (IoTix.Web/Devices)
        services.AddIoTixHistoryStores(); // message history and dead letters (IoTix.Web/History)
        services.AddIoTixRulesWeb(); // rules and rule events in the database, rule metrics (IoTix.Web/Rules)
        services.Configure<HostOptions>(host =>
        {
            // Room for the broker's drain inside the host's shutdown timeout (FR-048).
            var needed = TimeSpan.FromSeconds(Math.Clamp(options.ShutdownDrainSeconds, 0, 3600) + 5);
            if (host.ShutdownTimeout < needed)
            {
                host.ShutdownTimeout = needed;
            }
        });

        var webSocket = options.Enabled && options.Listeners.WebSocket.IsEnabled;
        var secureWebSocket = options.Enabled && options.Listeners.SecureWebSocket.IsEnabled && options.Tls.IsConfigured;
        if (!webSocket && !secureWebSocket)
        {
            return builder;
        }

        var adapter = new MqttWebSocketServerAdapter();
        services.AddSingleton(new BrokerWebSocketTransport(adapter));
        services.AddSingleton(new BrokerTransport("ws", adapter));
        AddKestrelEndpoints(builder.Configuration, options, webSocket, secureWebSocket);
        return builder;
    }

    public static WebApplication UseIoTixBrokerWeb(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = static _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = static check => check.Tags.Contains(BrokerHealthCheck.ReadyTag) });
        _ = app.Services.GetRequiredService<BrokerPrometheusMetrics>(); // hooks the broker snapshot into the registry
        app.UseIoTixRulesWeb();
        app.MapMetrics("/metrics", app.Services.GetRequiredService<CollectorRegistry>()).ExcludeFromDescription();

        var transport = app.Services.GetService<BrokerWebSocketTransport>();
        if (transport is not null)
        {
            var options = app.Configuration.GetSection(BrokerOptions.SectionName).Get<BrokerOptions>() ?? new BrokerOptions();
            app.UseWebSockets();
            var hosts = new List<string>();
            if (options.Listeners.WebSocket.IsEnabled)
            {
                hosts.Add($"*:{options.Listeners.WebSocket.Port}");
            }

            if (options.Listeners.SecureWebSocket.IsEnabled && options.Tls.IsConfigured)
            {
                hosts.Add($"*:{options.Listeners.SecureWebSocket.Port}");
            }

            app.Map(WebSocketPath, transport.AcceptAsync).RequireHost([.. hosts]).ExcludeFromDescription();
        }

        return app;
    }

    /// <summary>
    /// Kestrel ignores the "urls" setting once endpoints are configured, so the web console's URLs are carried
    /// over as endpoints too (unless Kestrel:Endpoints is already configured by the user).
    /// </summary>
    private static void AddKestrelEndpoints(ConfigurationManager configuration, BrokerOptions options, bool webSocket, bool secureWebSocket)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (!configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
        {
            var urls = configuration["urls"];
            if (string.IsNullOrWhiteSpace(urls))
            {
                urls = configuration["http_ports"] is { Length: > 0 } ports ? string.Join(';', ports.Split(';').Select(p => $"http://*:{p}")) : "http://localhost:5000";
            }

            var index = 0;
            foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                settings[$"Kestrel:Endpoints:Web{index++}:Url"] = url;
            }
        }

        var host = IPAddress.TryParse(options.BindAddress, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{options.BindAddress}]"
            : options.BindAddress;
        if (webSocket)
        {
            settings["Kestrel:Endpoints:MqttWebSocket:Url"] = $"http://{host}:{options.Listeners.WebSocket.Port}";
        }

        if (secureWebSocket)
        {
            settings["Kestrel:Endpoints:MqttSecureWebSocket:Url"] = $"https://{host}:{options.Listeners.SecureWebSocket.Port}";
            settings["Kestrel:Endpoints:MqttSecureWebSocket:Certificate:Path"] = options.Tls.CertificateFile;
            settings["Kestrel:Endpoints:MqttSecureWebSocket:Certificate:KeyPath"] = options.Tls.KeyFile;
            settings["Kestrel:Endpoints:MqttSecureWebSocket:SslProtocols:0"] = "Tls12";
            settings["Kestrel:Endpoints:MqttSecureWebSocket:SslProtocols:1"] = "Tls13";
        }

        configuration.AddInMemoryCollection(settings);
    }
}
