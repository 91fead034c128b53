using IoTix.Core.Devices;
using IoTix.Core.Protocols;
using IoTix.Tests.Shared;
using IoTix.Web.LiveMetrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace IoTix.Tests.Web.LiveMetrics;

/// <summary>A tenant's view of the live metrics: its own groups by bare ids, totals of its groups, no broker.</summary>
public sealed class TenantLiveMetricsTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 1, 0, 0, TimeSpan.Zero));
    private readonly ScriptedLiveMetricsSource _source = new();
    private LiveMetricsSampler? _sampler;

    private LiveMetricsSampler Sampler(int maxGroups = 50) =>
        _sampler = new(_source, Options.Create(new LiveMetricsOptions { MaxGroupSeries = maxGroups }), _time, NullLogger<LiveMetricsSampler>.Instance);

    public void Dispose() => _sampler?.Dispose();

    private static SeriesSample Group(string key, int devices, int connected, double rate, long sent, int dropped = 0) =>
        new(key, devices, connected, rate, rate / 10, rate * 100, sent, sent / 10, dropped, 1, 0);

    [Fact]
    public void Project_gives_each_tenant_only_its_own_groups_by_bare_ids_with_totals_of_them_and_no_broker()
    {
        SeriesSample[] groups =
        [
            Group("g1", 100, 100, 1000, 50_000),
            Group("tenants/alpha/g1", 10, 9, 30, 300, dropped: 1),
            Group("tenants/alpha/g2", 5, 5, 12, 120),
            Group("tenants/beta/g1", 7, 7, 70, 700),
        ];
        var at = _time.GetUtcNow();

        var views = TenantLiveMetrics.Project(groups, new PublishLatencySnapshot?[groups.Length], at, maxGroupSeries: 50, ["alpha", "beta"]);

        Assert.Equal(["alpha", "beta"], views.Keys.Order(StringComparer.Ordinal));
        var alpha = views["alpha"];
        Assert.Equal(["g1", "g2"], alpha.Groups.Select(g => g.Key));
        Assert.Equal((15, 14, 42.0, 420L, 1, 2), (alpha.Total.Devices, alpha.Total.Connected, alpha.Total.MessagesPerSecond, alpha.Total.MessagesSent, alpha.Total.Dropped, alpha.Total.Reconnecting));
        Assert.Equal(4.2, alpha.Total.ErrorsPerSecond, precision: 9);
        Assert.Equal(4200, alpha.Total.BytesPerSecond, precision: 9);
        Assert.Equal(42, alpha.Total.MessagesFailed);
        Assert.Equal(SeriesSample.TotalKey, alpha.Total.Key);
        Assert.Null(alpha.Broker);
        Assert.Equal(at, alpha.Timestamp);
        var beta = views["beta"];
        Assert.Equal(["g1"], beta.Groups.Select(g => g.Key));
        Assert.Equal((7, 70.0), (beta.Total.Devices, beta.Total.MessagesPerSecond));
        Assert.Equal(7, beta.Groups[0].Connected); // beta's g1 is its own, not alpha's (9 connected)
    }

    [Fact]
    public void Project_bounds_each_tenants_series_and_counts_the_rest_in_its_totals()
    {
        SeriesSample[] groups = [Group("tenants/alpha/a", 1, 1, 1, 1), Group("tenants/alpha/b", 1, 1, 2, 2), Group("tenants/alpha/c", 1, 1, 4, 4)];

        var alpha = TenantLiveMetrics.Project(groups, new PublishLatencySnapshot?[3], _time.GetUtcNow(), maxGroupSeries: 2, ["alpha"])["alpha"];

        Assert.Equal(["a", "b"], alpha.Groups.Select(g => g.Key));
        Assert.Equal(1, alpha.OmittedGroups);
        Assert.Equal((3, 7.0), (alpha.Total.Devices, alpha.Total.MessagesPerSecond));
    }

    [Fact]
    public void Project_builds_only_the_tenants_asked_for_and_zeros_for_one_without_groups()
    {
        SeriesSample[] groups = [Group("g1", 1, 1, 1, 1), Group("tenants/alpha/a", 1, 1, 2, 2), Group("tenants/beta/b", 1, 1, 4, 4)];

        var views = TenantLiveMetrics.Project(groups, new PublishLatencySnapshot?[3], _time.GetUtcNow(), maxGroupSeries: 50, ["beta", "gamma"]);

        Assert.Equal(["beta", "gamma"], views.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((0, 0, 0.0), (views["gamma"].Groups.Count, views["gamma"].Total.Devices, views["gamma"].Total.MessagesPerSecond));
        Assert.Empty(TenantLiveMetrics.Project(groups, new PublishLatencySnapshot?[3], _time.GetUtcNow(), 50, []));
    }

    /// <summary>Subscribes readers of <paramref name="tenants"/>' views (so each sample builds them).</summary>
    private static IDisposable[] Watch(LiveMetricsSampler sampler, params string[] tenants) =>
        [.. tenants.Select(t => sampler.Subscribe(t, static _ => Task.CompletedTask, TimeSpan.Zero))];

    [Fact]
    public void Sampler_keeps_the_engine_wide_point_for_the_default_tenant_and_a_view_per_tenant()
    {
        var sampler = Sampler();
        Watch(sampler, "alpha", "beta", "alpha");
        _source.Broker = ScriptedLiveMetricsSource.BrokerCounters(3, 0, 0);
        GroupCounters[] first = [new("g1", 4, 4, Sent: 0), new("tenants/alpha/g1", 2, 2, Sent: 0), new("tenants/beta/g1", 3, 3, Sent: 0)];
        GroupCounters[] second = [new("g1", 4, 4, Sent: 40), new("tenants/alpha/g1", 2, 2, Sent: 20), new("tenants/beta/g1", 3, 1, Sent: 90)];
        _source.Stats = ScriptedLiveMetricsSource.Simulation(first);
        sampler.Sample();
        _time.Advance(TimeSpan.FromSeconds(1));
        _source.Stats = ScriptedLiveMetricsSource.Simulation(second);

        var engine = sampler.Sample();
        var platform = sampler.LatestFor("default");
        var alpha = sampler.LatestFor("alpha")!;
        var beta = sampler.LatestFor("beta")!;

        Assert.Same(engine, platform);
        Assert.Equal(["g1", "tenants/alpha/g1", "tenants/beta/g1"], engine.Groups.Select(g => g.Key));
        Assert.NotNull(engine.Broker);
        Assert.Equal(["g1"], alpha.Groups.Select(g => g.Key));
        Assert.Equal((20.0, 2), (alpha.Total.MessagesPerSecond, alpha.Total.Connected));
        Assert.Equal((90.0, 1), (beta.Total.MessagesPerSecond, beta.Total.Connected));
        Assert.Null(alpha.Broker);
        Assert.Equal(2, sampler.GetHistory("alpha").Count);
        Assert.Equal(engine.Timestamp, alpha.Timestamp);
    }

    [Fact]
    public void A_tenant_without_groups_sees_zero_totals_and_no_series_at_every_sample()
    {
        var sampler = Sampler();
        Watch(sampler, "gamma");
        _source.Stats = ScriptedLiveMetricsSource.Simulation(new GroupCounters("g1", 4, 4, Sent: 10), new GroupCounters("tenants/alpha/g1", 2, 2, Sent: 5));
        sampler.Sample();
        _time.Advance(TimeSpan.FromSeconds(1));
        sampler.Sample();

        var history = sampler.GetHistory("gamma");

        Assert.Equal(2, history.Count);
        Assert.All(history, p => Assert.Equal((0, 0, 0L, 0), (p.Total.Devices, p.Groups.Count, p.Total.MessagesSent, p.OmittedGroups)));
        Assert.All(history, p => Assert.Null(p.Broker));
        Assert.True(history[0].Timestamp < history[1].Timestamp);
    }

    [Fact]
    public void A_tenants_view_is_built_only_while_it_is_watched()
    {
        var sampler = Sampler();
        _source.Stats = ScriptedLiveMetricsSource.Simulation(new GroupCounters("tenants/alpha/g1", 2, 2, Sent: 5));
        sampler.Sample();
        var watch = sampler.Subscribe("alpha", static _ => Task.CompletedTask, TimeSpan.Zero);
        _time.Advance(TimeSpan.FromSeconds(1));
        sampler.Sample();
        var watched = sampler.LatestFor("alpha");
        watch.Dispose();
        _time.Advance(TimeSpan.FromSeconds(1));

        sampler.Sample();

        Assert.Equal(2, watched!.Total.Devices);
        Assert.Null(sampler.LatestFor("alpha"));
        Assert.Equal([watched], sampler.GetHistory("alpha"));
        Assert.Empty(sampler.WatchedTenants);
        Assert.Equal(3, sampler.GetHistory("default").Count);
    }

    [Fact]
    public void A_tenants_groups_beyond_the_engine_points_bound_still_count_in_its_view()
    {
        var sampler = Sampler(maxGroups: 1);
        Watch(sampler, "alpha");
        _source.Stats = ScriptedLiveMetricsSource.Simulation(new GroupCounters("a", 1, 1, Sent: 0), new GroupCounters("tenants/alpha/g1", 2, 2, Sent: 0));
        sampler.Sample();
        _time.Advance(TimeSpan.FromSeconds(1));
        _source.Stats = ScriptedLiveMetricsSource.Simulation(new GroupCounters("a", 1, 1, Sent: 5), new GroupCounters("tenants/alpha/g1", 2, 2, Sent: 8));

        var engine = sampler.Sample();
        var alpha = sampler.LatestFor("alpha")!;

        Assert.Equal((1, 1), (engine.Groups.Count, engine.OmittedGroups));
        Assert.Equal(["g1"], alpha.Groups.Select(g => g.Key));
        Assert.Equal((8.0, 0), (alpha.Total.MessagesPerSecond, alpha.OmittedGroups));
    }

    [Fact]
    public void A_tenants_publish_latency_merges_its_groups_histograms_and_leaves_other_tenants_out()
    {
        var sampler = Sampler();
        Watch(sampler, "alpha", "beta");
        var g1 = new PublishLatencyHistogram();
        var g2 = new PublishLatencyHistogram();
        var other = new PublishLatencyHistogram();
        var combined = new PublishLatencyHistogram();
        SampleWithLatency(sampler, g1, g2, other);
        var combinedBefore = combined.Snapshot();
        for (int i = 0; i < 90; i++)
        {
            Record(1_000, g1, combined);
        }

        for (int i = 0; i < 10; i++)
        {
            Record(80_000, g2, combined);
        }

        other.Record(5_000_000);
        _time.Advance(TimeSpan.FromSeconds(1));

        SampleWithLatency(sampler, g1, g2, other);
        var alpha = sampler.LatestFor("alpha")!.Total.PublishLatency;
        var expected = LiveMetricsSampler.Latency(combined.Snapshot(), combinedBefore, baseline: true);

        Assert.NotNull(alpha);
        Assert.Equal(expected, alpha);
        Assert.Equal(100, alpha.Count);
        Assert.True(alpha.P99Ms < 100, $"p99 {alpha.P99Ms} ms includes beta's 5 s publish");
        Assert.Equal(5000, sampler.LatestFor("beta")!.Total.PublishLatency!.MaxMs, precision: 0);
    }

    private static void Record(long microseconds, PublishLatencyHistogram group, PublishLatencyHistogram combined)
    {
        group.Record(microseconds);
        combined.Record(microseconds);
    }

    private void SampleWithLatency(LiveMetricsSampler sampler, PublishLatencyHistogram g1, PublishLatencyHistogram g2, PublishLatencyHistogram other)
    {
        var stats = ScriptedLiveMetricsSource.Simulation(new GroupCounters("tenants/alpha/g1", 1, 1, 0), new GroupCounters("tenants/alpha/g2", 1, 1, 0), new GroupCounters("tenants/beta/g1", 1, 1, 0));
        PublishLatencyHistogram[] histograms = [g1, g2, other];
        var groups = new List<GroupStats>();
        for (int i = 0; i < histograms.Length; i++)
        {
            groups.Add(stats.Groups[i] with { PublishLatency = histograms[i].Snapshot() });
        }

        _source.Stats = stats with { Groups = groups };
        sampler.Sample();
    }
}
