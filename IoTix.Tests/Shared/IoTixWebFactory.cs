using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace IoTix.Tests.Shared;

/// <summary>The IoTix host in process, on embedded defaults, for API and page tests.</summary>
public sealed class IoTixWebFactory : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Broker:Enabled", "false"); // broker tests start their own on free ports (BrokerFixture)
    }
}
