using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using IoTix.Tests.Shared;
using IoTix.Web.LiveMetrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace IoTix.Tests.E2E;

/// <summary>
/// The console's main journey in Chromium against the real host and its hosted broker, all by clicking: a group of
/// 1,000 simple-temperature devices created and launched in batches from the Groups page, the dashboard's message
/// rate and connected count following it through a 20% dropout (the Groups page's dropout form) and a stop.
/// </summary>
public sealed partial class DashboardJourneyTests(ConsoleE2EFixture fixture) : IClassFixture<ConsoleE2EFixture>
{
    private const float Timeout = 60_000;

    [Fact]
    public async Task Dashboard_follows_a_thousand_devices_through_launch_dropout_and_stop()
    {
        // Everything by clicking in the console: the Groups page creates, launches, drops and stops the group; the
        // Dashboard shows what the devices do on the hosted broker.
        var page = await fixture.OpenAsync("groups", "[data-testid=page][data-interactive=true]");

        // Create 1,000 simple-temperature devices.
        await ChooseAsync(page, "create-model", "simple-temperature");
        await FillAsync(page.Locator("input[data-testid=create-count]"), "1000");
        await FillAsync(page.Locator("input[data-testid=create-group-id]"), "e2e-sensors");
        await page.GetByTestId("create").ClickAsync();
        var row = page.Locator("tr", new() { Has = page.Locator("[data-testid=group-e2e-sensors]") });
        await Expect(row.GetByTestId("state-created")).ToHaveTextAsync("created 1000", new() { Timeout = Timeout });

        // Launch on the batch strategy: 100 devices every 200 ms.
        await row.Locator("button[aria-label=launch]").ClickAsync();
        var launch = page.GetByTestId("launch-form");
        await Expect(launch).ToBeVisibleAsync(new() { Timeout = Timeout });
        await ChooseAsync(page, "launch-strategy", "batch");
        await FillAsync(launch.Locator("[data-field=delayMs] input"), "200");
        await FillAsync(launch.Locator("[data-field=batchSize] input"), "100");
        await Expect(launch.GetByTestId("launch-preview")).ToContainTextAsync("1000 devices, the last starting after 1.8 s", new() { Timeout = Timeout });
        await launch.GetByTestId("launch").ClickAsync();
        await Expect(page.GetByTestId("ramp")).ToContainTextAsync("(batch)", new() { Timeout = Timeout });

        // The dashboard: the message rate rises above zero, all 1,000 connected.
        var dashboard = await NavigateAsync(page, "Dashboard", "[data-testid=dashboard][data-interactive=yes]");
        var messages = dashboard.Locator("[data-testid=kpi-messages-value]");
        var connected = dashboard.Locator("[data-testid=kpi-connected-value]");
        await Expect(connected).ToHaveTextAsync("1,000", new() { Timeout = Timeout });
        await Expect(messages).ToHaveTextAsync(NonZeroRate(), new() { Timeout = Timeout });
        await Expect(page.Locator("[data-testid=chart-messages]")).ToContainTextAsync("e2e-sensors", new() { Timeout = Timeout });
        await page.ScreenshotAsync(new() { Path = ConsoleE2EFixture.DocsImage("dashboard.png") });

        // Inspect one device: its state chip and the payloads it publishes (through the hosted broker).
        await page.Locator("[data-testid=inspector-group]").First.ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "e2e-sensors" }).First.ClickAsync();
        var device = page.Locator("[data-testid=inspector-device] input, input[data-testid=inspector-device]").First;
        await device.ClickAsync();
        await device.FillAsync("e2e-sensors-5");
        await page.Locator(".mud-popover-open").GetByText("e2e-sensors-5", new() { Exact = true }).ClickAsync();
        await Expect(page.Locator("[data-testid=inspector-state]")).ToHaveTextAsync("running", new() { Timeout = Timeout });
        await Expect(page.Locator("[data-testid=inspector-payloads]")).ToContainTextAsync("devices/e2e-sensors-5/telemetry", new() { Timeout = Timeout });
        await page.Locator("[data-testid=device-inspector]").ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new() { Path = ConsoleE2EFixture.DocsImage("dashboard-inspector.png") });

        // Drop 20% from the Groups page's dropout form; the dashboard's connected count falls to 800.
        await NavigateAsync(page, "Groups", "[data-testid=page][data-interactive=true]");
        await Expect(row.GetByTestId("state-running")).ToHaveTextAsync("running 1000", new() { Timeout = Timeout });
        await row.Locator("button[aria-label=dropout]").ClickAsync();
        var dropout = page.GetByTestId("dropout-form");
        await Expect(dropout).ToBeVisibleAsync(new() { Timeout = Timeout });
        await ChooseAsync(page, "dropout-strategy", "immediate");
        await FillAsync(dropout.Locator("[data-field=percentage] input"), "20");
        await Expect(dropout.GetByTestId("dropout-preview")).ToContainTextAsync("200 of 1000 running devices drop", new() { Timeout = Timeout });
        await dropout.GetByTestId("confirm-dropout").ClickAsync();
        await Expect(row.GetByTestId("state-dropped")).ToHaveTextAsync("dropped 200", new() { Timeout = Timeout });

        await NavigateAsync(page, "Dashboard", "[data-testid=dashboard][data-interactive=yes]");
        await Expect(connected).ToHaveTextAsync("800", new() { Timeout = Timeout });
        await Expect(page.Locator("[data-testid=kpi-trouble-value]")).ToHaveTextAsync(new Regex("^200 / "), new() { Timeout = Timeout });

        // Stop from the Groups page; nothing stays connected, no message flows.
        await NavigateAsync(page, "Groups", "[data-testid=page][data-interactive=true]");
        await row.Locator("button[aria-label=stop]").ClickAsync();
        await Expect(row.GetByTestId("state-stopped")).ToHaveTextAsync("stopped 1000", new() { Timeout = Timeout });
        await NavigateAsync(page, "Dashboard", "[data-testid=dashboard][data-interactive=yes]");
        await Expect(connected).ToHaveTextAsync("0", new() { Timeout = Timeout });
        await Expect(messages).ToHaveTextAsync("0.0", new() { Timeout = Timeout });

        // Delete, confirming in the dialog.
        await NavigateAsync(page, "Groups", "[data-testid=page][data-interactive=true]");
        await row.Locator("button[aria-label=delete]").ClickAsync();
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(page.GetByTestId("group-e2e-sensors")).ToHaveCountAsync(0, new() { Timeout = Timeout });
        await page.Context.CloseAsync();
    }

    /// <summary>Opens a MudSelect (by its test id) and picks the option with exactly <paramref name="option"/>.</summary>
    private static async Task ChooseAsync(IPage page, string testId, string option)
    {
        await page.Locator($"[data-testid={testId}]").First.ClickAsync();
        var item = page.Locator(".mud-popover-open .mud-list-item").GetByText(option, new() { Exact = true });
        await item.ClickAsync(new() { Timeout = Timeout });
        await Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0, new() { Timeout = Timeout });
    }

    /// <summary>Types a value and leaves the field, so the bound value changes (Blazor binds on change).</summary>
    private static async Task FillAsync(ILocator input, string value)
    {
        await input.FillAsync(value);
        await input.PressAsync("Tab");
        await Expect(input).ToHaveValueAsync(value, new() { Timeout = Timeout });
    }

    /// <summary>Follows a navigation link of the drawer and waits until the page is interactive again.</summary>
    private static async Task<IPage> NavigateAsync(IPage page, string link, string interactiveSelector)
    {
        await page.Locator(".mud-drawer .mud-nav-link", new() { HasText = link }).First.ClickAsync();
        await page.Locator(interactiveSelector).WaitForAsync(new() { Timeout = Timeout });
        return page;
    }

    [Fact]
    public async Task Inspector_receives_the_payloads_of_one_device_over_the_hosted_broker()
    {
        var created = await fixture.Api.PostAsJsonAsync("api/v1/groups", new { modelId = "simple-temperature", count = 3, groupId = "e2e-inspect" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var inspector = fixture.Factory.Services.GetRequiredService<DeviceInspector>();
        var device = inspector.FindDevices("e2e-inspect", null)[1];
        var result = await inspector.InspectAsync(device);
        await using var inspection = result.Inspection!;
        var payload = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = inspection.Subscribe(_ => { payload.TrySetResult(); return Task.CompletedTask; }, TimeSpan.Zero);

        var started = await fixture.Api.PostAsJsonAsync("api/v1/groups/e2e-inspect/start", new { strategy = "immediate" });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        await payload.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Null(inspection.PayloadError);
        var first = inspection.RecentPayloads()[0];
        Assert.Equal($"devices/{device}/telemetry", first.Topic);
        Assert.Contains("temperature", first.Text, StringComparison.Ordinal);
        Assert.True(inspector.TryGetSnapshot(device, out var snapshot));
        Assert.Equal("temperature", snapshot.Values[0].Name);
        Assert.True(double.TryParse(snapshot.Values[0].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var celsius) && celsius is >= 20 and <= 30);
        await fixture.Api.DeleteAsync("api/v1/groups/e2e-inspect");
    }

    [GeneratedRegex(@"^(?!0\.0$)[0-9][0-9,]*(\.[0-9])?$")]
    private static partial Regex NonZeroRate();
}
