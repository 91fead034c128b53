using Bunit;
using IoTix.Core.Strategies;
using IoTix.Web.Components.Pages.Groups;
using MudBlazor;
using MudBlazor.Services;

namespace IoTix.Tests.Web.Pages.Groups;

/// <summary>The launch and dropout forms: the strategies' fields and defaults, messages naming the field, and the previews.</summary>
public sealed class StrategyFormTests : IAsyncLifetime
{
    private readonly BunitContext _context = new();

    public StrategyFormTests()
    {
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _context.Services.AddMudServices();
        _context.Render<MudPopoverProvider>();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _context.DisposeAsync();

    [Fact]
    public async Task Launch_form_starts_on_immediate_and_shows_the_batch_fields_with_their_defaults()
    {
        var cut = _context.Render<LaunchStrategyForm>(p => p.Add(c => c.DeviceCount, 5000));
        Assert.Equal(LaunchStrategyKind.Immediate, cut.Instance.Form.Strategy);
        Assert.Empty(cut.FindAll("[data-field]"));

        await cut.InvokeAsync(() => cut.FindComponent<MudSelect<LaunchStrategyKind>>().Instance.ValueChanged.InvokeAsync(LaunchStrategyKind.Batch));

        Assert.Equal("0", cut.Find("div[data-field=delayMs] input").GetAttribute("value"));
        Assert.Equal("100", cut.Find("div[data-field=batchSize] input").GetAttribute("value"));
        Assert.Empty(cut.FindAll("div[data-field=exponentBase]"));
    }

    [Fact]
    public async Task Launch_form_names_the_field_in_its_validation_message_and_blocks_the_launch()
    {
        LaunchStrategy? launched = null;
        var cut = _context.Render<LaunchStrategyForm>(p => p
            .Add(c => c.DeviceCount, 100)
            .Add(c => c.OnLaunch, (LaunchStrategy s) => launched = s));
        await cut.InvokeAsync(() => cut.FindComponent<MudSelect<LaunchStrategyKind>>().Instance.ValueChanged.InvokeAsync(LaunchStrategyKind.Batch));

        cut.Find("div[data-field=batchSize] input").Change("0");

        Assert.Contains("batchSize must be at least 1 (was 0)", cut.Find("div[data-field=batchSize]").TextContent, StringComparison.Ordinal);
        Assert.Equal("batchSize", cut.Instance.Error!.Field);
        Assert.True(cut.Find("[data-testid=launch]").HasAttribute("disabled"));
        Assert.Null(launched);
    }

    [Fact]
    public async Task Launch_preview_follows_the_linear_ramp()
    {
        LaunchStrategy? launched = null;
        var cut = _context.Render<LaunchStrategyForm>(p => p
            .Add(c => c.DeviceCount, 5000)
            .Add(c => c.OnLaunch, (LaunchStrategy s) => launched = s));
        await cut.InvokeAsync(() => cut.FindComponent<MudSelect<LaunchStrategyKind>>().Instance.ValueChanged.InvokeAsync(LaunchStrategyKind.Linear));

        cut.Find("div[data-field=delayMs] input").Change("10");

        var timeline = cut.Instance.Timeline;
        Assert.Equal(49_990, timeline.TotalMs);
        Assert.Equal(1, timeline.Primary[0]);
        Assert.Equal(5000, timeline.Primary[^1]);
        Assert.InRange(timeline.Primary[timeline.Primary.Count / 2], 2400, 2600);
        Assert.Contains("49.99 s", cut.Find("[data-testid=launch-preview]").TextContent, StringComparison.Ordinal);

        cut.Find("[data-testid=launch]").Click();
        Assert.Equal(LaunchStrategyKind.Linear, launched!.Strategy);
        Assert.Equal(10, launched.DelayMs);
    }

    [Fact]
    public void Dropout_form_has_the_plan_defaults_and_asks_for_count_or_percentage()
    {
        var cut = _context.Render<DropoutPlanForm>(p => p.Add(c => c.Eligible, 10));

        Assert.Equal(DropoutStrategyKind.Linear, cut.Instance.Form.Strategy);
        Assert.Equal("1000", cut.Find("div[data-field=delayMs] input").GetAttribute("value"));
        Assert.Contains("count or percentage is required", cut.Find("div[data-field=percentage]").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("div[data-field=reconnectDelayMs]"));
    }

    [Fact]
    public async Task Dropout_preview_shows_the_exponential_cascade_and_the_reconnects()
    {
        var cut = _context.Render<DropoutPlanForm>(p => p.Add(c => c.Eligible, 10));
        await cut.InvokeAsync(() => cut.FindComponent<MudSelect<DropoutStrategyKind>>().Instance.ValueChanged.InvokeAsync(DropoutStrategyKind.Exponential));
        cut.Find("div[data-field=percentage] input").Change("50");
        cut.Find("div[data-field=exponentBase] input").Change("2");

        Assert.Equal(1875, cut.Instance.Timeline.TotalMs);
        Assert.Equal(5, cut.Instance.Timeline.Primary[^1]);
        Assert.Null(cut.Instance.Timeline.Secondary);

        await cut.InvokeAsync(() => cut.FindComponents<MudSwitch<bool>>().Single(s => s.Instance.Label == "reconnect").Instance.ValueChanged.InvokeAsync(true));
        cut.Find("div[data-field=reconnectDelayMs] input").Change("30000");

        var timeline = cut.Instance.Timeline;
        Assert.Equal(31_875, timeline.TotalMs);
        Assert.Equal(5, timeline.Secondary![^1]);
        Assert.Equal(0, timeline.Secondary[0]);
        Assert.Contains("5 of 10 running devices", cut.Find("[data-testid=dropout-preview]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dropout_form_names_the_field_of_a_bad_value()
    {
        var cut = _context.Render<DropoutPlanForm>(p => p.Add(c => c.Eligible, 10));
        await cut.InvokeAsync(() => cut.FindComponent<MudSelect<DropoutStrategyKind>>().Instance.ValueChanged.InvokeAsync(DropoutStrategyKind.Random));
        cut.Find("div[data-field=percentage] input").Change("20");

        cut.Find("div[data-field=durationMs] input").Change("-5");

        Assert.Contains("durationMs must be 0 or more (was -5)", cut.Find("div[data-field=durationMs]").TextContent, StringComparison.Ordinal);
        Assert.True(cut.Find("[data-testid=confirm-dropout]").HasAttribute("disabled"));
    }
}
