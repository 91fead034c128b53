using System.Net;
using IoTix.Core.Protocols;
using IoTix.Tests.Shared;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Playwright;

namespace IoTix.Tests.E2E;

/// <summary>
/// The IoTix host on real Kestrel (127.0.0.1, a free port; broker off; its own SQLite file; the seed models; the
/// in-process MQTT adapter so groups "connect" without a broker) and Debian's Chromium driven by Playwright.
/// </summary>
public sealed class ModelEditorE2EFixture : IAsyncLifetime
{
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private readonly string _dataFolder = Directory.CreateTempSubdirectory("iotix-e2e-models-").FullName;
    private Host? _host;
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = default!;

    /// <summary>The host's address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string BaseUrl { get; private set; } = string.Empty;

    public IServiceProvider Services => _host!.Services;

    public async Task InitializeAsync()
    {
        _host = new Host(_dataFolder, Core.Models.ModelTestSupport.SeedModelsFolder());
        _host.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _host.StartServer();
        BaseUrl = _host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

        Assertions.SetDefaultExpectTimeout(30_000); // expectations wait for the page, not a fixed 5 s: the test machine is loaded
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    /// <summary>A new page at 1280x800 (the screenshot size), signed in as the administrator.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var page = await NewAnonymousPageAsync();
        await ConsoleSignIn.SignInAsync(page, BaseUrl);
        return page;
    }

    /// <summary>A new page at 1280x800 in its own browser context, not signed in.</summary>
    public async Task<IPage> NewAnonymousPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        return await context.NewPageAsync();
    }

    /// <summary>Opens a console page and waits until its circuit is interactive (prerendered HTML ignores clicks).</summary>
    public async Task<IPage> OpenAsync(string path)
    {
        var page = await NewPageAsync();
        await page.GotoAsync(BaseUrl + path);
        await page.Locator("[data-testid=page][data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        return page;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        BrokerInstance.DeleteFolder(_dataFolder);
    }

    private sealed class Host(string dataFolder, string modelFolder) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");

            // Serve the framework's and the packages' static assets (blazor.web.js, MudBlazor, Monaco) from the build output, as in development.
            builder.UseStaticWebAssets();
            builder.UseSetting("Broker:Enabled", "false");
            builder.UseSetting("ConnectionStrings:IoTix", $"Data Source={Path.Combine(dataFolder, "iotix.db")}");
            builder.UseSetting("IoTix:Models:Path", modelFolder);
            builder.UseSetting("IoTix:Models:Watch", "false");
            foreach (var (key, value) in IoTixWebFactory.AccountSettings)
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureTestServices(services =>
            {
                services.RemoveAll<IProtocolAdapter>();
                services.AddSingleton<IProtocolAdapter>(new RecordingProtocolAdapter("mqtt") { RecordPayloads = false });
            });
        }
    }
}
