using IoTix.Tests.Shared;
using IoTix.Web.LiveMetrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace IoTix.Tests.Web.LiveMetrics;

public sealed class LiveMetricsSamplerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 20, 0, 0, TimeSpan.Zero));
    private readonly ScriptedLiveMetricsSource _source = new();

    private LiveMetricsSampler Sampler(int historyPoints = 300, int maxGroups = 50) =>
        new(_source, Options.Create(new LiveMetricsOptions { HistoryPoints = historyPoints, MaxGroupSeries = maxGroups }), _time, NullLogger<LiveMetricsSampler>.Instance);

    [Fact]
    public void First_sample_has_counters_but_no_rates()
    {
        var sampler = Sampler();
        _source.Stats = ScriptedLiveMetricsSource.Simulation(new GroupCounters("a", 10, 10, Sent: 500, Failed: 5));

        var point = sampler.Sample();

        Assert.Equal(500, point.Total.MessagesSent);
        Assert.Equal(0, point.Total.MessagesPerSecond);
        Assert.Equal(0, point.Total.ErrorsPerSecond);
        Assert.Equal(10, point.Total.Connected);
    }

    [Fact]
    public void Rates_are_counter_deltas_over_the_elapsed_time()
    {
        var sampler = Sampler();
        _source.Stats = ScriptedLiveMetricsSource.Simulation(new GroupCounters("a", 10, 10, Sent: 100, Failed: 1, Bytes: 1000));
        sampler.Sample();

        _time.Advance(TimeSpan.FromSeconds(2));
        _source.Stats = ScriptedLiveMetricsSource.Simulation(new GroupCounters("a", 10, 8, Sent: 500, Failed: 9, Bytes: 5000, Dropped: 2));
        var point = sampler.Sample();

        Assert.Equal(200, point.Total.MessagesPerSecond, precision: 6);
        Assert.Equal(4, point.Total.ErrorsPerSecond, precision: 6);
        Assert.Equal(2000, point.Total.BytesPerSecond, precision: 6);
        Assert.Equal(8, point.Total.Connected);
        Assert.Equal(2, point.Total.Dropped);
        Assert.Equal(_time.GetUtcNow(), point.Timestamp);
    }

    [Fact]
    public void Each_group_gets_its_own_series_with_its_own_rate()
    {
        var sampler = Sampler();
        _source.Stats = ScriptedLiveMetricsSource.Simulation(new GroupCounters("a", 10, 10, Sent: 0), new GroupCounters("b", 5, 5, Sent: 0));
        sampler.Sample();

        _time.Advance(TimeSpan.FromSeconds(1));
        _source.Stats = ScriptedLiveMetricsSource.Simulation(new GroupCounters("a", 10, 10, Sent: 30), new GroupCounters("b", 5, 4, Sent: 7));
        var point = sampler.Sample();

        Assert.Equal(["a", "b"], point.Groups.Select(g => g.Key));
        Assert.Equal(30, point.Groups[0].MessagesPerSecond, precision: 6);
        Assert.Equal(7, point.Groups[1].MessagesPerSecond, precision: 6);
        Assert.Equal(4, point.Groups[1].Connected);
        Assert.Equal(37, point.Total.MessagesPerSecond, precision: 6);
    }

    [Fact]
    public void A_new_group_starts_at_zero_and_a_reset_counter_counts_from_zero()
    {
        var sampler = Sampler();
        _source.Stats = ScriptedLiveMetricsSource.Simulation(new GroupCounters("a", 10, 10, Sent: 1000));
        sampler.Sample();

        _time.Advance(TimeSpan.FromSeconds(1));
        // "a" deleted and created again (counter went down), "b" new.
        _source.Stats = ScriptedLiveMetricsSource.Simulation(new GroupCounters("a", 10, 10, Sent: 40), new GroupCounters("b", 5, 5, Sent: 99));
        var point = sampler.Sample();

        Assert.Equal(40, point.Groups[0].MessagesPerSecond, precision: 6);
        Assert.Equal(0, point.Groups[1].MessagesPerSecond);
    }

    [Fact]
    public void Groups_beyond_the_bound_count_in_the_total_only()
    {
        var sampler = Sampler(maxGroups: 1);
        _source.Stats = ScriptedLiveMetricsSource.Simulation(new GroupCounters("a", 1, 1, 0), new GroupCounters("b", 2, 2, 0), new GroupCounters("c", 3, 3, 0));

        var point = sampler.Sample();

        Assert.Single(point.Groups);
        Assert.Equal(2, point.OmittedGroups);
        Assert.Equal(6, point.Total.Devices);
    }

    [Fact]
    public void Broker_rates_come_from_its_counters_and_a_disabled_broker_gives_no_sample()
    {
        var sampler = Sampler();
        _source.Broker = ScriptedLiveMetricsSource.BrokerCounters(connections: 3, received: 100, sent: 200);
        sampler.Sample();
        _time.Advance(TimeSpan.FromMilliseconds(500));
        _source.Broker = ScriptedLiveMetricsSource.BrokerCounters(connections: 4, received: 150, sent: 400, dropped: 5);

        var point = sampler.Sample();
        _source.Broker = null;
        var disabled = sampler.Sample();

        Assert.NotNull(point.Broker);
        Assert.Equal(4, point.Broker.Connections);
        Assert.Equal(100, point.Broker.MessagesInPerSecond, precision: 6);
        Assert.Equal(400, point.Broker.MessagesOutPerSecond, precision: 6);
        Assert.Equal(10, point.Broker.DroppedPerSecond, precision: 6);
        Assert.Null(disabled.Broker);
    }

    [Fact]
    public void History_is_bounded_and_keeps_the_newest_points_oldest_first()
    {
        var sampler = Sampler(historyPoints: 3);
        for (int i = 1; i <= 5; i++)
        {
            _source.Stats = ScriptedLiveMetricsSource.Simulation(new GroupCounters("a", 1, 1, Sent: i));
            sampler.Sample();
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        var history = sampler.GetHistory();

        Assert.Equal([3L, 4L, 5L], history.Select(p => p.Total.MessagesSent));
        Assert.Equal(5, sampler.Latest!.Total.MessagesSent);
        Assert.Equal([4L, 5L], sampler.GetHistory(2).Select(p => p.Total.MessagesSent));
    }

    [Fact]
    public async Task Background_loop_samples_once_per_interval_on_the_clock()
    {
        using var sampler = Sampler();
        _source.Stats = ScriptedLiveMetricsSource.Simulation(new GroupCounters("a", 1, 1, Sent: 0));
        var three = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = sampler.Subscribe(_ =>
        {
            if (sampler.GetHistory().Count >= 3)
            {
                three.TrySetResult();
            }

            return Task.CompletedTask;
        }, TimeSpan.Zero);

        await sampler.StartAsync(CancellationToken.None);
        for (int i = 0; i < 2; i++)
        {
            await WaitForAsync(() => sampler.GetHistory().Count == i + 1);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        await three.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await sampler.StopAsync(CancellationToken.None);

        Assert.Equal(3, sampler.GetHistory().Count);
    }

    [Fact]
    public void Disposed_subscription_is_removed()
    {
        var sampler = Sampler();
        var calls = 0;
        var subscription = sampler.Subscribe(_ => { calls++; return Task.CompletedTask; }, TimeSpan.Zero);
        sampler.Sample();

        subscription.Dispose();
        sampler.Sample();

        Assert.Equal(1, calls);
        Assert.Equal(0, sampler.SubscriberCount);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
