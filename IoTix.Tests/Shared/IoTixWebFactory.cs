using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace IoTix.Tests.Shared;

/// <summary>The IoTix host in process, on embedded defaults and its own temporary SQLite database, for API and page tests.</summary>
public sealed class IoTixWebFactory : WebApplicationFactory<Program>
{
    private readonly string _dataFolder = Directory.CreateTempSubdirectory("iotix-web-test-").FullName;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Broker:Enabled", "false"); // broker tests start their own on free ports (BrokerFixture)
        builder.UseSetting("ConnectionStrings:IoTix", $"Data Source={Path.Combine(_dataFolder, "iotix.db")}");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        BrokerInstance.DeleteFolder(_dataFolder);
    }
}
