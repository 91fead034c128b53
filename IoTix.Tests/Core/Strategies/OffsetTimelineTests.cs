using IoTix.Core.Strategies;

namespace IoTix.Tests.Core.Strategies;

public sealed class OffsetTimelineTests
{
    [Theory]
    [InlineData(-1, 0)]
    [InlineData(0, 2)]
    [InlineData(5, 2)]
    [InlineData(10, 4)]
    [InlineData(29, 4)]
    [InlineData(30, 5)]
    [InlineData(1000, 5)]
    public void Counts_offsets_at_or_before_a_time_including_ties(long atMs, int expected)
    {
        long[] offsets = [0, 0, 10, 10, 30];

        Assert.Equal(expected, OffsetTimeline.CountAtOrBefore(offsets, atMs));
    }

    [Fact]
    public void Linear_launch_preview_is_counted_one_device_per_delay()
    {
        var offsets = new long[1000];
        new LaunchStrategy { Strategy = LaunchStrategyKind.Linear, DelayMs = 10 }.ComputeOffsets(offsets);

        Assert.Equal(1, OffsetTimeline.CountAtOrBefore(offsets, 0));
        Assert.Equal(501, OffsetTimeline.CountAtOrBefore(offsets, 5_000));
        Assert.Equal(1000, OffsetTimeline.CountAtOrBefore(offsets, 9_990));
    }
}
