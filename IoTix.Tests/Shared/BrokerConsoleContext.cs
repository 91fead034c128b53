using Bunit;
using IoTix.Web.Components.Pages.Broker;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace IoTix.Tests.Shared;

/// <summary>A bUnit context for the Broker pages: MudBlazor, loose JS interop, the system clock and the pages' view models.</summary>
public static class BrokerConsoleContext
{
    /// <param name="services">adds the broker services the pages under test use (from a running host)</param>
    /// <param name="tenant">the signed-in user's tenant (an Owner)</param>
    public static BunitContext Create(Action<IServiceCollection> services, string tenant = IoTix.Web.Tenancy.Tenants.Default)
    {
        ArgumentNullException.ThrowIfNull(services);
        var context = new BunitContext();
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddMudServices();
        ConsoleTestUser.SignIn(context, tenant: tenant);
        services(context.Services);
        context.Services.AddSingleton(TimeProvider.System);
        context.Services.AddIoTixBrokerConsole();
        context.Render<MudPopoverProvider>();
        return context;
    }
}
