using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Shared;

/// <summary>The IoTix host in process, on embedded defaults and its own temporary SQLite database, for API and page tests.</summary>
public sealed class IoTixWebFactory : WebApplicationFactory<Program>
{
    private string? _dataFolder;
    private bool _keepDataFolder;

    /// <summary>
    /// Folder of the SQLite database: a new temporary folder, deleted on disposal, unless a test sets it (then it is
    /// kept, so a second factory on the same folder sees the first one's data: restart tests).
    /// </summary>
    public string DataFolder
    {
        get => _dataFolder ??= Directory.CreateTempSubdirectory("iotix-web-test-").FullName;
        init
        {
            _dataFolder = value;
            _keepDataFolder = true;
        }
    }

    /// <summary>Settings applied after the defaults (they win), e.g. <c>Database:Provider</c> and a PostgreSQL connection string.</summary>
    public IDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>Service registrations applied after the host's own (e.g. a test protocol adapter).</summary>
    public Action<IServiceCollection>? TestServices { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Broker:Enabled", "false"); // broker tests start their own on free ports (BrokerFixture)
        builder.UseSetting("ConnectionStrings:IoTix", $"Data Source={Path.Combine(DataFolder, "iotix.db")}");
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        if (TestServices is { } configure)
        {
            builder.ConfigureTestServices(configure);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (!_keepDataFolder && _dataFolder is not null)
        {
            BrokerInstance.DeleteFolder(_dataFolder);
        }
    }
}
