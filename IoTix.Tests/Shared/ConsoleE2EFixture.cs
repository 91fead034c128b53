using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace IoTix.Tests.Shared;

/// <summary>
/// The real IoTix host (console, REST API, hosted broker) on Kestrel at 127.0.0.1 on an ephemeral port, the hosted
/// broker's TCP listener on another free port (devices reach it: <c>IoTix:Simulation:BrokerHost</c>/<c>BrokerPort</c>),
/// and Debian's Chromium driven by Playwright. One per test class.
/// </summary>
public sealed class ConsoleE2EFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    private IoTixWebFactory? _host;

    /// <summary>The host (the test environment plus static web assets, which only Development serves by default).</summary>
    public WebApplicationFactory<Program> Factory { get; private set; } = null!;

    /// <summary>The console's address, ending in '/'.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public int BrokerPort { get; private set; }

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>A client of the REST API on the real host.</summary>
    public HttpClient Api { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        BrokerPort = BrokerInstance.FreePort();
        _host = new IoTixWebFactory
        {
            Settings =
            {
                ["Broker:Enabled"] = "true",
                ["Broker:Listeners:Tcp:Port"] = BrokerPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Broker:Listeners:WebSocket:Port"] = "0",
                ["Broker:ShutdownDrainSeconds"] = "1",
                ["IoTix:Simulation:BrokerHost"] = "127.0.0.1",
                ["IoTix:Simulation:BrokerPort"] = BrokerPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Logging:LogLevel:Default"] = "Warning",
            },
        };
        Factory = _host.WithWebHostBuilder(static builder => builder.UseStaticWebAssets());
        Factory.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        Factory.StartServer();
        var address = Factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        Api = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Api.DefaultRequestHeaders.Add("X-Api-Key", IoTixWebFactory.AdminApiKey);

        Assertions.SetDefaultExpectTimeout(30_000); // expectations wait for the page, not a fixed 5 s: the test machine is loaded
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A new page at 1280x800 (the size of the documentation screenshots), signed in as the administrator.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var page = await NewAnonymousPageAsync();
        await ConsoleSignIn.SignInAsync(page, BaseAddress.ToString());
        return page;
    }

    /// <summary>A new page at 1280x800 in its own browser context, not signed in.</summary>
    public Task<IPage> NewAnonymousPageAsync() =>
        NewAnonymousPageAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });

    /// <summary>A new page in its own browser context with <paramref name="options"/> (e.g. a phone), signed in as the administrator.</summary>
    public async Task<IPage> NewPageAsync(BrowserNewContextOptions options)
    {
        var page = await NewAnonymousPageAsync(options);
        await ConsoleSignIn.SignInAsync(page, BaseAddress.ToString());
        return page;
    }

    private async Task<IPage> NewAnonymousPageAsync(BrowserNewContextOptions options)
    {
        var context = await Browser.NewContextAsync(options);
        return await context.NewPageAsync();
    }

    /// <summary>Opens a console page and waits until its Blazor circuit is interactive (prerendered HTML ignores clicks).</summary>
    public async Task<IPage> OpenAsync(string path, string interactiveSelector)
    {
        var page = await NewPageAsync();
        var console = new List<string>();
        page.Console += (_, message) => console.Add($"{message.Type}: {message.Text}");
        page.RequestFailed += (_, request) => console.Add($"request failed: {request.Url} {request.Failure}");
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                console.Add($"{response.Status} {response.Url}");
            }
        };
        await page.GotoAsync(new Uri(BaseAddress, path).ToString());
        try
        {
            await page.Locator(interactiveSelector).WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{path} did not become interactive; browser console: {string.Join(" | ", console)}", ex);
        }

        return page;
    }

    /// <summary>Path of screenshot NAME: test output by default, docs/images with IOTIX_SCREENSHOTS=docs.</summary>
    public static string DocsImage(string name) => Path.Combine(Screenshots.Folder(), name);

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        Api?.Dispose();
        if (Factory is not null)
        {
            await Factory.DisposeAsync();
        }

        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
