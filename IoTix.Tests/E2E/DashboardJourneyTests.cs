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
/// The console's main journey in Chromium against the real host and its hosted broker: a group of 1,000
/// simple-temperature devices launched in batches, the dashboard's message rate and connected count following it
/// through a 20% dropout and a stop.
/// </summary>
public sealed partial class DashboardJourneyTests(ConsoleE2EFixture fixture) : IClassFixture<ConsoleE2EFixture>
{
    private const float Timeout = 45_000;

    [Fact]
    public async Task Dashboard_follows_a_thousand_devices_through_launch_dropout_and_stop()
    {
        // Groups are created through the REST API: the console's groups pages are built on another branch.
        var page = await fixture.OpenAsync("dashboard", "[data-testid=dashboard][data-interactive=yes]");
        var messages = page.Locator("[data-testid=kpi-messages-value]");
        var connected = page.Locator("[data-testid=kpi-connected-value]");
        await Expect(connected).ToHaveTextAsync("0", new() { Timeout = Timeout });

        var created = await fixture.Api.PostAsJsonAsync("api/v1/groups", new { modelId = "simple-temperature", count = 1000, groupId = "e2e-sensors" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var started = await fixture.Api.PostAsJsonAsync("api/v1/groups/e2e-sensors/start", new { strategy = "batch", batchSize = 100, delayMs = 200 });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);

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

        var dropout = await fixture.Api.PostAsJsonAsync("api/v1/groups/e2e-sensors/dropout", new { strategy = "immediate", percentage = 20 });
        Assert.Equal(HttpStatusCode.Accepted, dropout.StatusCode);
        await Expect(connected).ToHaveTextAsync("800", new() { Timeout = Timeout });
        await Expect(page.Locator("[data-testid=kpi-trouble-value]")).ToHaveTextAsync(new Regex("^200 / "), new() { Timeout = Timeout });

        var stopped = await fixture.Api.PostAsync("api/v1/groups/e2e-sensors/stop", null);
        Assert.Equal(HttpStatusCode.OK, stopped.StatusCode);
        await Expect(connected).ToHaveTextAsync("0", new() { Timeout = Timeout });
        await Expect(messages).ToHaveTextAsync("0.0", new() { Timeout = Timeout });

        var delete = await fixture.Api.DeleteAsync("api/v1/groups/e2e-sensors");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        await page.Context.CloseAsync();
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
