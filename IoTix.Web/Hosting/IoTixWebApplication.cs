using IoTix.Broker;
using IoTix.Web.Data;
using IoTix.Web.Accounts;
using IoTix.Core;
using IoTix.Web.Api;
using IoTix.Web.Broker;
using IoTix.Web.Components;
using IoTix.Web.Components.Pages.Broker;
using IoTix.Web.Components.Pages.Settings;
using IoTix.Web.LiveMetrics;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MudBlazor.Services;

namespace IoTix.Web.Hosting;

/// <summary>Builds the IoTix host: console, REST API, hosted broker, on the user's configuration.</summary>
public static class IoTixWebApplication
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = ContentRoot.Find(),
        });

        builder.Services.AddIoTixData(builder.Configuration); // first: the schema is migrated before the broker loads stored state
        builder.Services.AddIoTixCore(builder.Configuration);
        builder.Services.AddIoTixBroker(builder.Configuration);
        builder.AddIoTixBrokerWeb(); // broker: WebSocket transport, probes, /metrics (IoTix.Web/Broker)
        builder.Services.AddIoTixWeb(builder.Configuration);
        builder.Services.AddIoTixAccounts(builder.Configuration); // users, tenants, roles, API keys, JWT, audit (IoTix.Web/Accounts, Tenancy, Audit)
        builder.Services.AddIoTixApi(builder.Configuration); // REST API /api/v1 and the simulations it persists (IoTix.Web/Api, IoTix.Web/Simulations)
        builder.Services.AddIoTixLiveMetrics(builder.Configuration); // console live metrics: sampler, /hubs/metrics, device inspector (IoTix.Web/LiveMetrics)
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseIoTixWeb();
        return app;
    }

    /// <summary>Registers the web layer: Blazor, MudBlazor, health checks.</summary>
    public static IServiceCollection AddIoTixWeb(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddHealthChecks();
        services.TryAddScoped<ITenantContext, PrincipalTenantContext>(); // the caller's tenant (IoTix.Web/Tenancy)
        services.AddIoTixBrokerConsole(); // Broker pages (IoTix.Web/Components/Pages/Broker)
        services.AddIoTixSettingsConsole(); // Settings page, stored broker settings applied at start (IoTix.Web/Components/Pages/Settings)
        return services;
    }

    public static WebApplication UseIoTixWeb(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }

        app.UseIoTixAccounts(); // authentication, the caller's tenant, authorization; /account sign-in completion and sign-out
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapHealthChecks("/health", HealthResponse.Options);
        app.UseIoTixBrokerWeb(); // broker: /mqtt WebSocket, /health/live, /health/ready, /metrics
        app.MapIoTixApi(); // /api/v1, /openapi/v1.json, /docs
        app.MapIoTixLiveMetrics(); // /hubs/metrics
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
