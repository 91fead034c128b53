using Bunit;
using IoTix.Tests.Shared;
using IoTix.Web.Components.Pages.Dashboard;
using IoTix.Web.LiveMetrics;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MudBlazor;
using MudBlazor.Services;
using DashboardPage = IoTix.Web.Components.Pages.Dashboard.Dashboard;

namespace IoTix.Tests.Web.Pages.Dashboard;

/// <summary>The dashboard page and its view model on a scripted source and a fake clock.</summary>
public sealed class DashboardPageTests : IAsyncLifetime
{
    private readonly BunitContext _context = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 20, 0, 0, TimeSpan.Zero));
    private readonly ScriptedLiveMetricsSource _source = new();
    private readonly LiveMetricsSampler _sampler;
    private readonly LiveMetricsOptions _options = new() { RenderIntervalMs = 1000, SampleIntervalMs = 1000 };
    private readonly DashboardOptions _dashboard = new();

    public DashboardPageTests()
    {
        _sampler = new LiveMetricsSampler(_source, Options.Create(_options), _time, NullLogger<LiveMetricsSampler>.Instance);
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _context.Services.AddMudServices();
        _context.Services.AddSingleton<ILiveMetrics>(_sampler);
        _context.Services.AddSingleton(Options.Create(_options));
        _context.Services.AddSingleton(Options.Create(_dashboard));
        _context.Services.AddTransient<DashboardViewModel>();
        _context.SetRendererInfo(new RendererInfo("Server", true));
        _context.ComponentFactories.AddStub<DeviceInspectorPanel>();
    }

    private IRenderedComponent<DashboardPage> RenderPage()
    {
        _context.Render<MudPopoverProvider>();
        return _context.Render<DashboardPage>();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _sampler.Dispose();
        await _context.DisposeAsync();
    }

    private DashboardViewModel ViewModel(IOptions<DashboardOptions>? dashboard = null) =>
        new(_sampler, Options.Create(_options), dashboard ?? Options.Create(new DashboardOptions()));

    private void SampleSeconds(int seconds, int groups = 2, int perSecond = 10)
    {
        for (int s = 0; s < seconds; s++)
        {
            var list = new GroupCounters[groups];
            long elapsed = _sampler.GetHistory().Count;
            for (int g = 0; g < groups; g++)
            {
                list[g] = new GroupCounters($"group-{g}", 100, 100 - g, Sent: elapsed * perSecond * (g + 1));
            }

            _source.Stats = ScriptedLiveMetricsSource.Simulation(list);
            _sampler.Sample();
            _time.Advance(TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public void View_model_builds_a_total_series_and_one_per_group()
    {
        SampleSeconds(5, groups: 2, perSecond: 10);
        var vm = ViewModel();

        vm.Refresh();

        Assert.Equal(["total", "group-0", "group-1"], vm.SeriesKeys);
        Assert.Equal(["total", "group-0", "group-1"], vm.MessageRateSeries.Select(s => s.Name));
        Assert.Equal(5, vm.MessageRateSeries[0].Data.Count);
        Assert.Equal(30, vm.MessageRateSeries[0].Data.Values[^1], precision: 6);
        Assert.Equal(20, vm.MessageRateSeries[2].Data.Values[^1], precision: 6);
        Assert.Equal(99, vm.ConnectedSeries[2].Data.Values[^1]);
    }

    [Fact]
    public void View_model_window_limits_the_points_charted()
    {
        SampleSeconds(10);
        var vm = ViewModel();
        vm.WindowPoints = 4;

        vm.Refresh();

        Assert.Equal(4, vm.PointCount);
        Assert.All(vm.MessageRateSeries, s => Assert.Equal(4, s.Data.Count));
    }

    [Fact]
    public void Kpis_colour_partial_connection_as_warning_and_full_as_success()
    {
        SampleSeconds(2, groups: 2);
        var vm = ViewModel();
        vm.Refresh();
        var partial = vm.Kpis.Single(k => k.Id == "connected");

        _source.Stats = ScriptedLiveMetricsSource.Simulation(new GroupCounters("group-0", 100, 100, 0));
        _sampler.Sample();
        vm.Refresh();
        var full = vm.Kpis.Single(k => k.Id == "connected");

        Assert.Equal(Color.Warning, partial.Color);
        Assert.Equal("199", partial.Value);
        Assert.Equal(Color.Success, full.Color);
    }

    [Fact]
    public void Page_renders_kpis_and_charts_from_the_history()
    {
        SampleSeconds(3);

        var page = RenderPage();

        Assert.Equal("30.0", page.Find("[data-testid=kpi-messages-value]").TextContent.Trim());
        Assert.Equal("199", page.Find("[data-testid=kpi-connected-value]").TextContent.Trim());
        Assert.NotEmpty(page.FindAll("[data-testid=chart-messages] svg"));
        Assert.Empty(page.FindAll("[data-testid=grafana-panel]"));
    }

    [Fact]
    public void Page_renders_at_most_one_live_update_per_render_interval()
    {
        var page = RenderPage();
        var component = page.Instance;
        int rendersBefore = component.OwnRenders;

        // 50 points 100 ms apart (5 s of fake time) with the render interval at 1 s.
        for (int i = 0; i < 50; i++)
        {
            _source.Stats = ScriptedLiveMetricsSource.Simulation(new GroupCounters("group-0", 10, 10, Sent: i * 5));
            _sampler.Sample();
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        _time.Advance(TimeSpan.FromSeconds(1));
        page.WaitForAssertion(() => Assert.Equal("50.0", page.Find("[data-testid=kpi-messages-value]").TextContent.Trim()));

        Assert.InRange(component.LiveRenders, 5, 6);
        Assert.InRange(component.OwnRenders - rendersBefore, 5, 6);
    }

    [Fact]
    public void Grafana_panel_shows_the_configured_url()
    {
        _dashboard.GrafanaUrl = "http://127.0.0.1:3000/d/iotix/iotix?kiosk";

        var page = RenderPage();

        Assert.Equal("http://127.0.0.1:3000/d/iotix/iotix?kiosk", page.Find("[data-testid=grafana-panel] iframe").GetAttribute("src"));
    }

    [Fact]
    public void Grafana_url_that_is_not_http_fails_validation_naming_the_key()
    {
        var result = new DashboardOptionsValidator().Validate(null, new DashboardOptions { GrafanaUrl = "grafana.local/d/x" });

        Assert.True(result.Failed);
        Assert.Contains("IoTix:Console:GrafanaUrl", result.FailureMessage, StringComparison.Ordinal);
    }
}
