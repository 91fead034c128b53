using System.Net;
using System.Net.Http.Json;
using IoTix.Tests.Shared;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace IoTix.Tests.E2E;

/// <summary>
/// Every console page at phone size (390x844, a current phone in portrait) in Chromium: the page never scrolls
/// sideways, and every page is reached through the drawer's menu toggle. The pages are the drawer's own links, so a
/// page added to the navigation is checked without changing this test.
/// </summary>
public sealed class PhoneLayoutTests(ConsoleE2EFixture fixture) : IClassFixture<ConsoleE2EFixture>
{
    private const float Timeout = 60_000;

    /// <summary>Elements sticking out on the right, for the failure message (the first few, widest first).</summary>
    private const string OverflowReport = """
        () => {
          const width = window.innerWidth;
          const out = [];
          for (const e of document.querySelectorAll('body *')) {
            const r = e.getBoundingClientRect();
            if (r.width > 0 && r.right > width + 1) {
              out.push({ right: Math.round(r.right), tag: e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && e.className.baseVal === undefined ? '.' + String(e.className).trim().split(/\s+/).slice(0, 3).join('.') : '') });
            }
          }
          out.sort((a, b) => b.right - a.right);
          return { scrollWidth: document.scrollingElement.scrollWidth, innerWidth: width, offenders: out.slice(0, 8) };
        }
        """;

    [Fact]
    public async Task Every_page_fits_a_phone_screen_and_is_reached_through_the_drawer()
    {
        // Something on every page: a running group (groups, dashboard, broker clients and subscriptions).
        Assert.Equal(HttpStatusCode.Created, (await fixture.Api.PostAsJsonAsync("api/v1/groups", new { modelId = "simple-temperature", count = 20, groupId = "phone-group-with-a-long-name" })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.PostAsJsonAsync("api/v1/groups/phone-group-with-a-long-name/start", new { strategy = "immediate" })).StatusCode);

        var page = await fixture.NewPageAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true });
        await page.GotoAsync(new Uri(fixture.BaseAddress, "groups").ToString());
        await page.Locator("[data-testid=page][data-interactive=true]").WaitForAsync(new() { Timeout = Timeout });
        await Expect(page.GetByTestId("group-phone-group-with-a-long-name")).ToBeVisibleAsync(new() { Timeout = Timeout });

        var links = await OpenDrawerAsync(page);
        var hrefs = new List<string>();
        foreach (var link in await links.AllAsync())
        {
            hrefs.Add(await link.GetAttributeAsync("href") ?? string.Empty);
        }

        Assert.Contains(hrefs, h => h.EndsWith("groups", StringComparison.Ordinal));
        Assert.Contains(hrefs, h => h.EndsWith("settings", StringComparison.Ordinal));
        var checkedPaths = new List<string>();
        foreach (var href in hrefs)
        {
            var path = new Uri(fixture.BaseAddress, href).AbsolutePath; // relative links resolve against <base href="/">
            var target = (await OpenDrawerAsync(page)).And(page.Locator($"[href='{href}']")).First;
            if (!await target.IsVisibleAsync())
            {
                // A link in a collapsed navigation group (Access): expand the group first.
                await page.Locator(".mud-drawer .mud-nav-group", new() { Has = page.Locator($"[href='{href}']") })
                    .Locator("button[aria-expanded=false]").First.ClickAsync();
            }

            await target.ClickAsync();
            await Expect(page).ToHaveURLAsync(new Uri(fixture.BaseAddress, path.TrimStart('/')).ToString(), new() { Timeout = Timeout });
            await AssertFitsAsync(page, path);
            checkedPaths.Add(path);
            if (path.EndsWith("/groups", StringComparison.Ordinal))
            {
                await page.GetByTestId("group-phone-group-with-a-long-name").ClickAsync();
                await Expect(page.GetByTestId("ramp")).ToBeVisibleAsync(new() { Timeout = Timeout });
                await AssertFitsAsync(page, path + " (ramp and runs)");
                await page.GetByTestId("ramp").ScrollIntoViewIfNeededAsync();
                await page.ScreenshotAsync(new() { Path = ConsoleE2EFixture.DocsImage("groups-phone.png"), FullPage = false });
            }
            else if (path.EndsWith("/dashboard", StringComparison.Ordinal))
            {
                await Expect(page.Locator("[data-testid=kpi-connected-value]")).ToHaveTextAsync("20", new() { Timeout = Timeout });
                await AssertFitsAsync(page, path);
                await page.ScreenshotAsync(new() { Path = ConsoleE2EFixture.DocsImage("dashboard-phone.png"), FullPage = false });
            }
        }

        // The model editor (reached from the library, not the drawer).
        foreach (var path in new[] { "/models/simple-temperature", "/models/new" })
        {
            await page.GotoAsync(new Uri(fixture.BaseAddress, path.TrimStart('/')).ToString());
            await page.Locator("[data-testid=page][data-interactive=true]").WaitForAsync(new() { Timeout = Timeout });
            await AssertFitsAsync(page, path);
            checkedPaths.Add(path);
        }

        Assert.True(checkedPaths.Count >= 6, string.Join(", ", checkedPaths));
        await page.Context.CloseAsync();
        await fixture.Api.DeleteAsync("api/v1/groups/phone-group-with-a-long-name");
    }

    /// <summary>
    /// Opens the drawer with the app bar's menu toggle (at phone size it starts closed and closes after each
    /// navigation); returns its navigation links, on screen.
    /// </summary>
    private static async Task<ILocator> OpenDrawerAsync(IPage page)
    {
        var links = page.Locator(".mud-drawer a.mud-nav-link[href]");
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (await OnScreenAsync(page))
            {
                return links;
            }

            // Only a closed drawer is toggled (an open one may still be sliding in, or the layout still settling).
            if ((await page.Locator(".mud-drawer").GetAttributeAsync("class") ?? string.Empty).Contains("mud-drawer--closed", StringComparison.Ordinal))
            {
                await page.Locator("button[aria-label=menu]").ClickAsync();
            }

            try
            {
                await page.WaitForFunctionAsync(OnScreenScript, null, new() { Timeout = 5_000 });
                return links;
            }
            catch (TimeoutException)
            {
                // Try again: the toggle raced the drawer's own first layout.
            }
        }

        throw new TimeoutException($"the drawer's links did not come on screen through the menu toggle at {page.Url}");
    }

    private const string OnScreenScript = """
        () => {
          const link = document.querySelector(".mud-drawer a.mud-nav-link[href]");
          if (!link) return false;
          const r = link.getBoundingClientRect();
          return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth;
        }
        """;

    private static Task<bool> OnScreenAsync(IPage page) => page.EvaluateAsync<bool>(OnScreenScript);

    /// <summary>The page does not scroll sideways: scrollWidth within the window's width (waits for late renders).</summary>
    private static async Task AssertFitsAsync(IPage page, string what)
    {
        try
        {
            await page.WaitForFunctionAsync("() => document.scrollingElement.scrollWidth <= window.innerWidth + 1", null, new() { Timeout = 10_000 });
        }
        catch (TimeoutException)
        {
            var report = await page.EvaluateAsync<System.Text.Json.JsonElement>(OverflowReport);
            Assert.Fail($"{what} overflows sideways at 390 px: {report}");
        }

        // Late content (live data, a list loaded after the first render) must not push it out either: look again
        // after a few renders of the live pages (they render at most once a second).
        await page.WaitForTimeoutAsync(1500);
        var fits = await page.EvaluateAsync<bool>("() => document.scrollingElement.scrollWidth <= window.innerWidth + 1");
        if (!fits)
        {
            var report = await page.EvaluateAsync<System.Text.Json.JsonElement>(OverflowReport);
            Assert.Fail($"{what} overflows sideways at 390 px: {report}");
        }
    }
}
