using IoTix.Broker;
using IoTix.Web.Data;
using IoTix.Web.Hosting;

namespace IoTix.Web.Broker;

/// <summary>The broker alone (`iotix broker`): MQTT listeners, WebSocket, /metrics and health probes; no console.</summary>
public static class BrokerWebApplication
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = ContentRoot.Find(),
        });

        builder.Services.AddIoTixData(builder.Configuration); // first: the schema is migrated before the broker loads stored state
        builder.Services.AddIoTixBroker(builder.Configuration);
        builder.AddIoTixBrokerWeb();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseIoTixBrokerWeb();
        return app;
    }
}
