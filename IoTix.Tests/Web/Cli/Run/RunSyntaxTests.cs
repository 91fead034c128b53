using IoTix.Core.Strategies;
using IoTix.Web.Cli.Run;

namespace IoTix.Tests.Web.Cli.Run;

/// <summary>The compact value syntaxes of <c>iotix run</c>: durations, launch, dropout, shards, brokers.</summary>
public sealed class RunSyntaxTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("60s", 60_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("5m", 300_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("90", 90_000)]
    public void Durations_accept_ms_s_m_h_and_bare_seconds(string text, long expectedMs)
    {
        bool ok = RunSyntax.TryParseDuration("--duration", text, out var duration, out var error);

        Assert.True(ok, error);
        Assert.Equal(expectedMs, (long)duration.TotalMilliseconds);
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("10x")]
    [InlineData("-5s")]
    [InlineData("")]
    public void Bad_duration_is_an_error_naming_the_option_with_examples(string text)
    {
        bool ok = RunSyntax.TryParseDuration("--duration", text, out _, out var error);

        Assert.False(ok);
        Assert.StartsWith("--duration: ", error, StringComparison.Ordinal);
        Assert.Contains("500ms, 60s, 5m, 1h", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Batch_launch_reads_batch_size_then_delay()
    {
        bool ok = RunSyntax.TryParseLaunch("batch:500:1000", out var launch, out var error);

        Assert.True(ok, error);
        Assert.Equal(LaunchStrategyKind.Batch, launch.Strategy);
        Assert.Equal(500, launch.BatchSize);
        Assert.Equal(1000, launch.DelayMs);
        Assert.Equal(60_000, launch.MaxDelayMs);
    }

    [Fact]
    public void Exponential_launch_reads_delay_base_and_cap_and_keeps_defaults_for_the_rest()
    {
        Assert.True(RunSyntax.TryParseLaunch("exponential:2:1.1", out var launch, out _));

        Assert.Equal(LaunchStrategyKind.Exponential, launch.Strategy);
        Assert.Equal(2, launch.DelayMs);
        Assert.Equal(1.1, launch.ExponentBase);
        Assert.Equal(60_000, launch.MaxDelayMs);
        Assert.Equal(100, launch.BatchSize);
    }

    [Theory]
    [InlineData("sideways", "unknown strategy 'sideways'")]
    [InlineData("linear:10:20", "linear takes one parameter")]
    [InlineData("batch:a:100", "batchSize must be a whole number")]
    [InlineData("immediate:5", "'immediate' takes no parameters")]
    public void Bad_launch_says_what_is_wrong(string text, string expected)
    {
        bool ok = RunSyntax.TryParseLaunch(text, out _, out var error);

        Assert.False(ok);
        Assert.StartsWith("--launch: ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Dropout_percentage_and_delay_are_read_from_the_compact_form()
    {
        Assert.True(RunSyntax.TryParseDropout("linear:20%:500", out var plan, out _));

        Assert.Equal(DropoutStrategyKind.Linear, plan.Strategy);
        Assert.Null(plan.Count);
        Assert.Equal(20, plan.Percentage);
        Assert.Equal(500, plan.DelayMs);
    }

    [Fact]
    public void Random_dropout_third_field_is_the_window()
    {
        Assert.True(RunSyntax.TryParseDropout("random:50:30000", out var plan, out _));

        Assert.Equal(50, plan.Count);
        Assert.Equal(30_000, plan.DurationMs);
        Assert.Equal(1000, plan.DelayMs);
    }

    [Theory]
    [InlineData("2/4", 2, 4)]
    [InlineData("1/1", 1, 1)]
    [InlineData(" 4/4 ", 4, 4)]
    public void Shard_reads_k_of_n(string text, int k, int n)
    {
        Assert.True(RunSyntax.TryParseShard(text, out var shard, out _));

        Assert.Equal(new ShardSpec(k, n), shard);
    }

    [Theory]
    [InlineData("0/4", "K must be 1..N")]
    [InlineData("5/4", "K must be 1..N")]
    [InlineData("2", "expected K/N")]
    [InlineData("a/b", "expected K/N")]
    [InlineData("1/0", "K must be 1..N")]
    public void Bad_shard_is_explained(string text, string expected)
    {
        bool ok = RunSyntax.TryParseShard(text, out _, out var error);

        Assert.False(ok);
        Assert.StartsWith("--shard: ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mqtt://127.0.0.1:1884", "127.0.0.1", 1884, false)]
    [InlineData("mqtts://broker.example:8883", "broker.example", 8883, true)]
    [InlineData("localhost", "localhost", null, false)]
    [InlineData("[::1]:1885", "::1", 1885, false)]
    public void Broker_reads_scheme_host_and_port(string text, string host, int? port, bool tls)
    {
        Assert.True(RunSyntax.TryParseBroker(text, out var broker, out var error), error);

        Assert.Equal(new BrokerAddress(host, port, tls), broker);
    }

    [Theory]
    [InlineData("http://host:80", "scheme 'http' is not supported")]
    [InlineData("mqtt://host:99999", "port must be 1..65535")]
    [InlineData("mqtt://:1883", "expected mqtt://host:port")]
    public void Bad_broker_is_explained(string text, string expected)
    {
        Assert.False(RunSyntax.TryParseBroker(text, out _, out var error));

        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10, 1, 1, 10)]
    [InlineData(10, 1, 3, 4)]
    [InlineData(10, 2, 3, 3)]
    [InlineData(10, 3, 3, 3)]
    [InlineData(2, 3, 3, 0)]
    public void Shard_size_counts_its_indexes(int count, int k, int n, int expected)
    {
        var shard = new ShardSpec(k, n);
        int members = Enumerable.Range(0, count).Count(shard.Contains);

        Assert.Equal(expected, shard.SizeOf(count));
        Assert.Equal(members, shard.SizeOf(count));
    }
}
