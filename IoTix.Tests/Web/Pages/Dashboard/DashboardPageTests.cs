using Bunit;
using Bunit.TestDoubles;
using IoTix.Core.Protocols;
using IoTix.Tests.Shared;
using IoTix.Web.Accounts;
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
    private readonly BunitAuthorizationContext _authorization;

    public DashboardPageTests()
    {
        _authorization = _context.AddAuthorization(); // not signed in: the default tenant's view
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
    public void View_model_shows_a_tenant_only_its_own_groups_by_bare_ids_and_the_platform_every_group()
    {
        GroupCounters[] groups = [new("g1", 1, 1, Sent: 1), new("tenants/alpha/g1", 1, 1, Sent: 1), new("tenants/beta/g1", 1, 1, Sent: 1)];
        using var watching = _sampler.Subscribe("alpha", static _ => Task.CompletedTask, TimeSpan.Zero); // alpha's page is open
        _source.Stats = ScriptedLiveMetricsSource.Simulation(groups);
        _sampler.Sample();
        var alpha = ViewModel();
        alpha.TenantId = "alpha";
        var platform = ViewModel();

        alpha.Refresh();
        platform.Refresh();

        Assert.Equal(["total", "g1"], alpha.SeriesKeys);
        Assert.Equal(["total", "g1", "tenants/alpha/g1", "tenants/beta/g1"], platform.SeriesKeys);
        Assert.Equal(2, alpha.MessageRateSeries.Count);
    }

    [Fact]
    public void A_tenant_user_sees_its_own_group_and_neither_another_tenants_nor_the_broker_nor_grafana()
    {
        ConsoleTestUser.SignIn(_authorization, TenantRoles.Viewer, "alpha");
        _dashboard.GrafanaUrl = "http://127.0.0.1:3000/d/iotix/iotix?kiosk";
        _source.Broker = ScriptedLiveMetricsSource.BrokerCounters(12, 0, 0);
        var page = RenderPage(); // the page's subscription has the tenant's view built from the next sample on
        for (int s = 0; s < 3; s++)
        {
            _source.Stats = ScriptedLiveMetricsSource.Simulation(
                new GroupCounters("platform-line", 50, 50, Sent: s * 500),
                new GroupCounters("tenants/alpha/alpha-line", 8, 7, Sent: s * 20),
                new GroupCounters("tenants/beta/beta-line", 9, 9, Sent: s * 90));
            _sampler.Sample();
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        page.WaitForAssertion(() => Assert.Equal("7", page.Find("[data-testid=kpi-connected-value]").TextContent.Trim()));
        Assert.Equal("20.0", page.Find("[data-testid=kpi-messages-value]").TextContent.Trim());
        Assert.Equal(["total", "alpha-line"], page.Instance.State.SeriesKeys);
        Assert.Equal(["total", "alpha-line"], page.Instance.State.ConnectedSeries.Select(s => s.Name));
        Assert.DoesNotContain("beta-line", page.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("platform-line", page.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("tenants/", page.Markup, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=chart-broker]"));
        Assert.Empty(page.FindAll("[data-testid=kpi-broker-value]"));
        Assert.Empty(page.FindAll("[data-testid=grafana-panel]"));
        Assert.Empty(page.FindAll("[data-testid=dashboard-no-groups]"));
    }

    [Fact]
    public void A_tenant_without_groups_sees_zero_totals_and_where_to_create_one()
    {
        ConsoleTestUser.SignIn(_authorization, TenantRoles.Viewer, "gamma");
        var page = RenderPage();

        SampleSeconds(3, groups: 2);

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=dashboard-no-groups]")));
        Assert.Equal("0", page.Find("[data-testid=kpi-connected-value]").TextContent.Trim());
        Assert.Equal("0.0", page.Find("[data-testid=kpi-messages-value]").TextContent.Trim());
        Assert.Equal(["total"], page.Instance.State.SeriesKeys);
        Assert.NotEmpty(page.FindAll("[data-testid=chart-messages] svg"));
    }

    [Fact]
    public void The_platform_user_keeps_the_broker_card_and_every_groups_series()
    {
        ConsoleTestUser.SignIn(_authorization, TenantRoles.Viewer);
        _source.Broker = ScriptedLiveMetricsSource.BrokerCounters(12, 0, 0);
        GroupCounters[] groups = [new("platform-line", 1, 1, Sent: 0), new("tenants/alpha/alpha-line", 1, 1, Sent: 0)];
        _source.Stats = ScriptedLiveMetricsSource.Simulation(groups);
        _sampler.Sample();
        _time.Advance(TimeSpan.FromSeconds(1));
        _sampler.Sample();

        var page = RenderPage();

        page.WaitForAssertion(() => Assert.Equal("12", page.Find("[data-testid=kpi-broker-value]").TextContent.Trim()));
        Assert.NotEmpty(page.FindAll("[data-testid=chart-broker]"));
        Assert.Equal(["total", "platform-line", "tenants/alpha/alpha-line"], page.Instance.State.SeriesKeys);
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

    /// <summary>Samples <paramref name="seconds"/> seconds; in each, the engine acknowledges 100 publishes of 10.239 ms (a bucket's bound) and one of <paramref name="slowMs"/>.</summary>
    private void SampleLatencySeconds(int seconds, int slowMs)
    {
        var histogram = new PublishLatencyHistogram();
        for (int s = 0; s < seconds; s++)
        {
            for (int i = 0; i < 100; i++)
            {
                histogram.Record(10_239);
            }

            histogram.Record(slowMs * 1000L);
            _source.Stats = ScriptedLiveMetricsSource.Simulation(new GroupCounters("group-0", 10, 10, Sent: s * 101)) with { PublishLatency = histogram.Snapshot() };
            _sampler.Sample();
            _time.Advance(TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public void View_model_charts_p50_p95_p99_of_each_interval_and_the_kpi_shows_the_last_p99()
    {
        SampleLatencySeconds(4, slowMs: 300);
        var vm = ViewModel();

        vm.Refresh();

        Assert.Equal(["p50", "p95", "p99"], vm.LatencySeries.Select(s => s.Name));
        Assert.Equal(3, vm.LatencySeries[0].Data.Count); // the first sample has no baseline
        Assert.All(vm.LatencySeries[0].Data.Values, v => Assert.Equal(10.239, v));
        Assert.All(vm.LatencySeries[2].Data.Values, v => Assert.Equal(10.239, v)); // 1 slow of 101: above p99
        var kpi = vm.Kpis.Single(k => k.Id == "latency");
        Assert.Equal("10.2 ms", kpi.Value);
        Assert.Equal("p50 10.2 ms, p95 10.2 ms (101 acknowledged)", kpi.Caption);
        Assert.Equal(Color.Success, kpi.Color);
    }

    [Fact]
    public void Latency_kpi_turns_warning_when_p99_passes_100_ms()
    {
        var kpi = DashboardViewModel.LatencyKpi(new LatencySample(50, 20, 90, 150, 400));
        var none = DashboardViewModel.LatencyKpi(null);

        Assert.Equal(("150 ms", Color.Warning), (kpi.Value, kpi.Color));
        Assert.Equal("-", none.Value);
    }

    [Fact]
    public void Page_charts_publish_latency_or_says_why_there_is_none()
    {
        SampleSeconds(3);
        var silent = RenderPage();
        Assert.NotEmpty(silent.FindAll("[data-testid=latency-empty]"));

        SampleLatencySeconds(3, slowMs: 50);
        var page = _context.Render<DashboardPage>();

        Assert.NotEmpty(page.FindAll("[data-testid=chart-latency] svg"));
        Assert.Empty(page.FindAll("[data-testid=latency-empty]"));
        Assert.Equal("10.2 ms", page.Find("[data-testid=kpi-latency-value]").TextContent.Trim());
    }

    [Fact]
    public void Sampler_latency_covers_only_the_interval_since_the_previous_sample()
    {
        var histogram = new PublishLatencyHistogram();
        histogram.Record(500_000);
        var before = histogram.Snapshot();
        histogram.Record(4_095);

        var first = LiveMetricsSampler.Latency(before, null, baseline: false);
        var interval = LiveMetricsSampler.Latency(histogram.Snapshot(), before, baseline: true);
        var idle = LiveMetricsSampler.Latency(before, before, baseline: true);

        Assert.Null(first);
        Assert.Equal((1L, 4.095), (interval!.Count, interval.P99Ms));
        Assert.Null(idle);
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
