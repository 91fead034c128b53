using System.Text.Json;
using IoTix.Core.Strategies;

namespace IoTix.Tests.Core.Strategies;

public sealed class DropoutPlanTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public void Defaults_are_the_seed_table_defaults()
    {
        var plan = JsonSerializer.Deserialize<DropoutPlan>("{}", Json)!;

        Assert.Equal(DropoutStrategyKind.Linear, plan.Strategy);
        Assert.Null(plan.Count);
        Assert.Null(plan.Percentage);
        Assert.Equal(1000, plan.DelayMs);
        Assert.Equal(60000, plan.DurationMs);
        Assert.Equal(1.5, plan.ExponentBase);
        Assert.False(plan.Reconnect);
        Assert.Equal(0, plan.ReconnectDelayMs);
    }

    [Fact]
    public void Count_takes_precedence_over_percentage()
    {
        var plan = new DropoutPlan { Count = 7, Percentage = 50 };

        Assert.Equal(7, plan.ResolveCount(100));
        Assert.Equal(7, plan.Plan(100, 1).Entries.Count);
    }

    [Fact]
    public void Percentage_rounds_down_and_count_is_capped_at_the_running_devices()
    {
        Assert.Equal(2, new DropoutPlan { Percentage = 50 }.ResolveCount(5));
        Assert.Equal(30, new DropoutPlan { Percentage = 30 }.ResolveCount(100));
        Assert.Equal(10, new DropoutPlan { Count = 500 }.ResolveCount(10));
    }

    [Fact]
    public void Linear_drops_one_device_per_delay()
    {
        var plan = new DropoutPlan { Strategy = DropoutStrategyKind.Linear, Count = 100, DelayMs = 1000 };

        var drops = plan.Plan(200, 3).Entries.Select(e => e.DropAtMs).ToArray();

        Assert.Equal(Enumerable.Range(0, 100).Select(i => i * 1000L), drops);
    }

    [Fact]
    public void Immediate_drops_all_at_once()
    {
        var plan = new DropoutPlan { Strategy = DropoutStrategyKind.Immediate, Percentage = 50 };

        var timeline = plan.Plan(10, 3);

        Assert.Equal(5, timeline.Entries.Count);
        Assert.All(timeline.Entries, e => Assert.Equal(0, e.DropAtMs));
    }

    [Fact]
    public void Exponential_is_an_accelerating_cascade_whose_gaps_shrink()
    {
        var plan = new DropoutPlan { Strategy = DropoutStrategyKind.Exponential, Count = 6, DelayMs = 1000, ExponentBase = 2 };

        var drops = plan.Preview(6).Select(o => (long)o.TotalMilliseconds).ToArray();

        Assert.Equal([0L, 1000, 1500, 1750, 1875, 1938], drops);
        Assert.True(plan.Preview(1000)[^1] <= TimeSpan.FromMilliseconds(2000)); // bounded by delayMs * base / (base - 1)
    }

    [Fact]
    public void Random_drops_fall_within_the_duration_and_repeat_with_the_seed()
    {
        var plan = new DropoutPlan { Strategy = DropoutStrategyKind.Random, Percentage = 25, DurationMs = 60000 };

        var first = plan.Plan(400, 99);
        var again = plan.Plan(400, 99);
        var other = plan.Plan(400, 100);

        Assert.Equal(100, first.Entries.Count);
        Assert.All(first.Entries, e => Assert.InRange(e.DropAtMs, 0, 59_999));
        Assert.Equal(first.Entries, again.Entries);
        Assert.NotEqual(first.Entries, other.Entries);
        Assert.True(first.Entries.Select(e => e.DropAtMs).Distinct().Count() > 90);
    }

    [Fact]
    public void The_choice_of_devices_is_seeded_and_without_repeats()
    {
        var plan = new DropoutPlan { Count = 50 };

        var positions = plan.Plan(100, 5).Entries.Select(e => e.Position).ToArray();

        Assert.Equal(50, positions.Distinct().Count());
        Assert.All(positions, p => Assert.InRange(p, 0, 99));
        Assert.Equal(positions, plan.Plan(100, 5).Entries.Select(e => e.Position));
        Assert.NotEqual(Enumerable.Range(0, 50), positions);
    }

    [Fact]
    public void Reconnect_comes_reconnectDelayMs_after_each_drop()
    {
        var plan = new DropoutPlan { Percentage = 20, DelayMs = 500, Reconnect = true, ReconnectDelayMs = 30000 };

        var timeline = plan.Plan(10, 1);

        Assert.Equal([(0L, 30000L), (500L, 30500L)], timeline.Entries.Select(e => (e.DropAtMs, e.ReconnectAtMs)));
        Assert.All(new DropoutPlan { Count = 2 }.Plan(10, 1).Entries, e => Assert.Equal(-1, e.ReconnectAtMs));
    }

    [Theory]
    [InlineData("""{"percentage":150}""", "percentage must be between 0 and 100")]
    [InlineData("""{"percentage":-1}""", "percentage must be between 0 and 100")]
    [InlineData("""{}""", "count or percentage is required")]
    [InlineData("""{"count":-3}""", "count must be 0 or more")]
    [InlineData("""{"count":1,"delayMs":-1}""", "delayMs must be 0 or more")]
    [InlineData("""{"count":1,"durationMs":-1}""", "durationMs must be 0 or more")]
    [InlineData("""{"count":1,"exponentBase":0}""", "exponentBase must be a number of at least 1")]
    [InlineData("""{"count":1,"reconnectDelayMs":-1}""", "reconnectDelayMs must be 0 or more")]
    public void Invalid_plans_are_refused_naming_the_field(string json, string message)
    {
        var plan = JsonSerializer.Deserialize<DropoutPlan>(json, Json)!;

        Assert.False(plan.TryValidate(out var error));
        Assert.StartsWith(message, error, StringComparison.Ordinal);
    }
}
