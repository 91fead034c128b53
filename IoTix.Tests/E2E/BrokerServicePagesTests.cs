using System.Net;
using System.Net.Http.Json;
using IoTix.Tests.Shared;
using static Microsoft.Playwright.Assertions;

namespace IoTix.Tests.E2E;

/// <summary>
/// The broker service pages (history, dead letters, devices and shadows, rules) open signed in, interactive, with
/// their live status, in Chromium; their screenshots are the documentation's (docs/images with IOTIX_SCREENSHOTS=docs).
/// </summary>
public sealed class BrokerServicePagesTests(ConsoleE2EFixture fixture) : IClassFixture<ConsoleE2EFixture>
{
    private const float Timeout = 60_000;

    [Fact]
    public async Task Service_pages_show_their_status_and_the_registered_device_online_state()
    {
        using var registered = await fixture.Api.PostAsJsonAsync("api/v1/registry/devices", new { deviceId = "e2e-valve-1", name = "Main valve", tags = new[] { "valve" } });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);

        foreach (var (path, selector, image) in new[]
        {
            ("broker/history", "[data-testid=history-status]", "broker-history.png"),
            ("broker/dead-letters", "[data-testid=dlq-status]", "broker-dead-letters.png"),
            ("broker/devices", "[data-testid=device-table]", "broker-devices.png"),
            ("broker/rules", "[data-testid=rules-engine]", "broker-rules.png"),
        })
        {
            var page = await fixture.OpenAsync(path, selector);
            await Expect(page.Locator(selector)).ToBeVisibleAsync(new() { Timeout = Timeout });
            if (path == "broker/devices")
            {
                await Expect(page.Locator("[data-testid=device-table]")).ToContainTextAsync("e2e-valve-1", new() { Timeout = Timeout });
                await Expect(page.Locator("[data-testid=status-chip]").First).ToContainTextAsync("offline", new() { Timeout = Timeout });
            }

            await page.ScreenshotAsync(new() { Path = ConsoleE2EFixture.DocsImage(image) });
            await page.Context.CloseAsync();
        }
    }
}
