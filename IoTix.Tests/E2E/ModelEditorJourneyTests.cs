using IoTix.Core.Devices;
using IoTix.Core.Strategies;
using IoTix.Web.Simulations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace IoTix.Tests.E2E;

/// <summary>Console journeys of the model editor and the groups page in Chromium against a real host.</summary>
public sealed class ModelEditorJourneyTests(ModelEditorE2EFixture fixture) : IClassFixture<ModelEditorE2EFixture>
{
    private static string ImagesFolder() => IoTix.Tests.Shared.Screenshots.Folder();

    [Fact]
    public async Task Editing_a_model_and_breaking_a_field_shows_the_error_with_its_json_path()
    {
        var page = await fixture.OpenAsync("/models/environmental-sensor-v1");
        await page.Locator(".monaco-editor").First.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("model-valid")).ToContainTextAsync("environmental-sensor-v1");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Telemetry" }).ClickAsync();
        var interval = page.Locator("div[data-path='$.telemetry[0].intervalMs'] input");
        await interval.FillAsync("0");
        await interval.PressAsync("Tab");

        await Assertions.Expect(page.GetByTestId("model-errors")).ToContainTextAsync("$.telemetry[0].intervalMs");
        await Assertions.Expect(page.GetByTestId("model-errors")).ToContainTextAsync("must be at least 1 (found 0)");
        await Assertions.Expect(page.Locator("div[data-path='$.telemetry[0].intervalMs'] [data-testid=field-error]")).ToHaveTextAsync("must be at least 1 (found 0)");
        // The form's edit reached the code editor's text too.
        await page.WaitForFunctionAsync("() => monaco.editor.getModels()[0].getValue().includes('\"intervalMs\": 0')", null, new() { Timeout = 10_000 });
        await Assertions.Expect(page.GetByTestId("save-copy")).ToBeDisabledAsync();
        await Assertions.Expect(page.GetByTestId("read-only-notice")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ImagesFolder(), "model-editor.png") });

        // Fixing the field brings the item's generator preview back, drawn as a chart.
        await interval.FillAsync("5000");
        await interval.PressAsync("Tab");
        await Assertions.Expect(page.GetByTestId("model-valid")).ToBeVisibleAsync();
        var preview = page.GetByTestId("preview-0");
        await Assertions.Expect(preview.Locator(".mud-chart-line").First).ToBeVisibleAsync();
        await Assertions.Expect(preview).ToContainTextAsync("one every 5000 ms");
        await preview.ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ImagesFolder(), "model-preview.png") });
    }

    [Fact]
    public async Task The_groups_page_shows_state_chips_and_the_ramp_of_a_launch()
    {
        var simulations = fixture.Services.GetRequiredService<SimulationOrchestrator>();
        Assert.True((await simulations.CreateGroupAsync(new DeviceGroupSpec { ModelId = "environmental-sensor-v1", Count = 200, GroupId = "env-ramp", IdPattern = "env-{index}" })).Succeeded);
        Assert.True((await simulations.CreateGroupAsync(new DeviceGroupSpec { ModelId = "simple-temperature", Count = 50, GroupId = "temp-dropout" })).Succeeded);
        Assert.True((await simulations.StartGroupAsync("temp-dropout", LaunchStrategy.Immediate)).Succeeded);

        var page = await fixture.OpenAsync("/groups");
        await Assertions.Expect(page.Locator("[data-testid=group-temp-dropout]")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("tr", new() { Has = page.Locator("[data-testid=group-temp-dropout]") }).GetByTestId("state-running")).ToHaveTextAsync("running 50");
        Assert.True(simulations.Dropout("temp-dropout", new DropoutPlan { Strategy = DropoutStrategyKind.Immediate, Count = 5 }).Succeeded);
        await Assertions.Expect(page.Locator("tr", new() { Has = page.Locator("[data-testid=group-temp-dropout]") }).GetByTestId("state-dropped")).ToHaveTextAsync("dropped 5");

        // Launch while the page is open: it traces a ramp from the launches it sees in progress.
        Assert.True((await simulations.StartGroupAsync("env-ramp", new LaunchStrategy { Strategy = LaunchStrategyKind.Linear, DelayMs = 40 })).Succeeded);
        // Select the group; a click that lands while the table re-renders (twice a second) is tried again.
        for (int attempt = 1; attempt <= 3 && !await page.GetByTestId("ramp").IsVisibleAsync(); attempt++)
        {
            await page.Locator("[data-testid=group-env-ramp]").ClickAsync();
            try
            {
                await page.GetByTestId("ramp").WaitForAsync(new() { Timeout = 10_000 });
            }
            catch (TimeoutException) when (attempt < 3)
            {
            }
        }

        await Assertions.Expect(page.GetByTestId("ramp")).ToContainTextAsync("of 200 planned", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("ramp")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"(^|\D)([4-9]\d|1\d\d|200) running of 200"), new() { Timeout = 20_000 });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ImagesFolder(), "groups.png") });
    }

    [Fact]
    public async Task The_code_editor_follows_the_dark_and_light_theme_toggle_live()
    {
        var page = await fixture.OpenAsync("/models/simple-temperature");
        var editor = page.Locator(".monaco-editor").First;
        await editor.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        var light = new System.Text.RegularExpressions.Regex(@"(^|\s)vs(\s|$)");
        var dark = new System.Text.RegularExpressions.Regex(@"(^|\s)vs-dark(\s|$)");
        await Assertions.Expect(editor).ToHaveClassAsync(light, new() { Timeout = 20_000 });

        await page.Locator("button[aria-label='toggle theme']").ClickAsync();
        await Assertions.Expect(editor).ToHaveClassAsync(dark, new() { Timeout = 20_000 });
        var background = await editor.EvaluateAsync<string>("e => getComputedStyle(e.querySelector('.monaco-editor-background')).backgroundColor");
        Assert.Equal("rgb(30, 30, 30)", background); // vs-dark's editor background #1e1e1e

        await page.Locator("button[aria-label='toggle theme']").ClickAsync();
        await Assertions.Expect(editor).ToHaveClassAsync(light, new() { Timeout = 20_000 });

        // Opened while the console is dark: the editor starts dark.
        await page.Locator("button[aria-label='toggle theme']").ClickAsync();
        await page.Locator(".mud-drawer .mud-nav-link", new() { HasText = "Models" }).ClickAsync();
        await page.Locator("a[href='/models/environmental-sensor-v1'], a[href='models/environmental-sensor-v1']").First.ClickAsync();
        await Assertions.Expect(page.Locator(".monaco-editor").First).ToHaveClassAsync(dark, new() { Timeout = 30_000 });
    }

    [Fact]
    public async Task Saving_a_model_that_running_devices_use_says_so_and_the_groups_page_restarts_them_onto_it()
    {
        var simulations = fixture.Services.GetRequiredService<SimulationOrchestrator>();
        Assert.True((await simulations.CreateModelAsync(IoTix.Tests.Web.Api.ApiTestHost.Model("e2e-rev-model", name: "Before"))).Succeeded);
        Assert.True((await simulations.CreateGroupAsync(new DeviceGroupSpec { ModelId = "e2e-rev-model", Count = 5, GroupId = "e2e-rev-group" })).Succeeded);
        Assert.True((await simulations.StartGroupAsync("e2e-rev-group", LaunchStrategy.Immediate)).Succeeded);
        var before = simulations.GroupModelRevision("e2e-rev-group")!.Revision;

        var page = await fixture.OpenAsync("/models/e2e-rev-model");
        await Assertions.Expect(page.GetByTestId("model-revision")).ToHaveTextAsync($"rev {before}");
        var name = page.Locator("div[data-path='$.name'] input");
        await name.FillAsync("After");
        await name.PressAsync("Tab");
        await Assertions.Expect(page.GetByTestId("model-valid")).ToBeVisibleAsync();
        await page.GetByTestId("save-model").ClickAsync();

        var notice = page.GetByTestId("outdated-notice");
        await Assertions.Expect(notice).ToContainTextAsync("group 'e2e-rev-group' still run an older revision", new() { Timeout = 20_000 });
        await Assertions.Expect(page.GetByTestId("model-revision")).Not.ToHaveTextAsync($"rev {before}");
        var after = simulations.GroupModelRevision("e2e-rev-group")!.LatestRevision;
        Assert.NotEqual(before, after);

        await notice.GetByRole(AriaRole.Link, new() { Name = "Groups" }).ClickAsync();
        var row = page.Locator("tr", new() { Has = page.Locator("[data-testid=group-e2e-rev-group]") });
        await Assertions.Expect(row.GetByTestId("model-outdated")).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await row.Locator("button[aria-label=restart]").ClickAsync();
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Restart" }).ClickAsync();

        await Assertions.Expect(row.GetByTestId("model-outdated")).ToHaveCountAsync(0, new() { Timeout = 20_000 });
        await Assertions.Expect(row.GetByTestId("model-revision")).ToHaveTextAsync($"rev {after}");
        await Assertions.Expect(row.GetByTestId("state-running")).ToHaveTextAsync("running 5", new() { Timeout = 20_000 });
    }
}
