using System.Text.Json;
using IoTix.Core.Strategies;

namespace IoTix.Tests.Core.Strategies;

public sealed class LaunchStrategyTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public void Defaults_are_the_seed_table_defaults()
    {
        var strategy = JsonSerializer.Deserialize<LaunchStrategy>("{}", Json)!;

        Assert.Equal(LaunchStrategyKind.Immediate, strategy.Strategy);
        Assert.Equal(0, strategy.DelayMs);
        Assert.Equal(100, strategy.BatchSize);
        Assert.Equal(60000, strategy.MaxDelayMs);
        Assert.Equal(1.5, strategy.ExponentBase);
    }

    [Fact]
    public void Seed_readme_batch_body_binds_every_field()
    {
        var strategy = JsonSerializer.Deserialize<LaunchStrategy>("""{"strategy":"batch","delayMs":1000,"batchSize":100,"maxDelayMs":60000,"exponentBase":1.5}""", Json)!;

        Assert.Equal((LaunchStrategyKind.Batch, 1000, 100), (strategy.Strategy, strategy.DelayMs, strategy.BatchSize));
    }

    [Fact]
    public void Immediate_starts_every_device_at_zero()
    {
        var offsets = new LaunchStrategy().Preview(5000);

        Assert.All(offsets, o => Assert.Equal(TimeSpan.Zero, o));
    }

    [Fact]
    public void Linear_5000_devices_at_10ms_take_about_50_seconds()
    {
        var strategy = new LaunchStrategy { Strategy = LaunchStrategyKind.Linear, DelayMs = 10 };

        var offsets = strategy.Preview(5000);

        Assert.Equal(TimeSpan.FromMilliseconds(10), offsets[1]);
        Assert.Equal(TimeSpan.FromMilliseconds(49_990), offsets[^1]);
        Assert.Equal(TimeSpan.FromMilliseconds(49_990), strategy.TotalDuration(5000));
    }

    [Fact]
    public void Batch_starts_100_at_a_time_one_second_apart()
    {
        var strategy = new LaunchStrategy { Strategy = LaunchStrategyKind.Batch, BatchSize = 100, DelayMs = 1000 };

        var offsets = strategy.Preview(5000);

        Assert.Equal(100, offsets.Count(o => o == TimeSpan.Zero));
        Assert.Equal(TimeSpan.FromSeconds(1), offsets[100]);
        Assert.Equal(TimeSpan.FromSeconds(49), offsets[^1]);
        Assert.Equal(50, offsets.Distinct().Count());
    }

    [Fact]
    public void Exponential_gaps_grow_by_the_base_and_are_capped()
    {
        var strategy = new LaunchStrategy { Strategy = LaunchStrategyKind.Exponential, DelayMs = 100, ExponentBase = 2, MaxDelayMs = 1000 };

        var offsets = strategy.Preview(8).Select(o => (long)o.TotalMilliseconds).ToArray();

        // gaps 100, 200, 400, 800, then capped at 1000
        Assert.Equal([0L, 100, 300, 700, 1500, 2500, 3500, 4500], offsets);
    }

    [Fact]
    public void Exponential_seed_example_starts_at_1ms_then_1_1ms()
    {
        var strategy = new LaunchStrategy { Strategy = LaunchStrategyKind.Exponential, DelayMs = 1, ExponentBase = 1.1, MaxDelayMs = 5000 };

        var offsets = strategy.Preview(200).Select(o => o.TotalMilliseconds).ToArray();

        Assert.Equal(1, offsets[1]);
        Assert.Equal(2, offsets[2]); // 1 + 1.1 = 2.1 rounds to 2
        var gaps = offsets.Zip(offsets.Skip(1), (a, b) => b - a).ToArray();
        Assert.True(gaps[^1] <= 5000);
        Assert.True(gaps[^1] > gaps[10]);
    }

    [Theory]
    [InlineData("""{"delayMs":-1}""", "delayMs must be 0 or more")]
    [InlineData("""{"batchSize":0}""", "batchSize must be at least 1")]
    [InlineData("""{"maxDelayMs":-5}""", "maxDelayMs must be 0 or more")]
    [InlineData("""{"exponentBase":0.5}""", "exponentBase must be a number of at least 1")]
    public void Invalid_settings_are_refused_naming_the_field(string json, string message)
    {
        var strategy = JsonSerializer.Deserialize<LaunchStrategy>(json, Json)!;

        Assert.False(strategy.TryValidate(out var error));
        Assert.StartsWith(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_strategy_name_does_not_bind()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<LaunchStrategy>("""{"strategy":"sometimes"}""", Json));
    }
}
