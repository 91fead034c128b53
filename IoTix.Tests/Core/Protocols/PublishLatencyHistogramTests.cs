using IoTix.Core.Protocols;

namespace IoTix.Tests.Core.Protocols;

public sealed class PublishLatencyHistogramTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(1_000)]
    [InlineData(123_456)]
    [InlineData(987_654_321)]
    public void A_value_lies_in_a_bucket_at_most_6_25_percent_wide(long microseconds)
    {
        int bucket = PublishLatencyHistogram.BucketOf(microseconds);
        long upper = PublishLatencyHistogram.UpperBound(bucket);
        long lower = bucket == 0 ? 0 : PublishLatencyHistogram.UpperBound(bucket - 1) + 1;

        Assert.InRange(microseconds, lower, upper);
        Assert.True(upper - lower <= Math.Max(0, microseconds / 16), $"{lower}..{upper}");
    }

    [Fact]
    public void Percentiles_follow_the_recorded_distribution()
    {
        var h = new PublishLatencyHistogram();
        for (int i = 1; i <= 1000; i++)
        {
            h.Record(i * 100); // 0.1 .. 100 ms
        }

        var s = h.Snapshot();

        Assert.Equal(1000, s.Count);
        Assert.InRange(s.P50Ms, 50.0, 50.0 * 1.0625);
        Assert.InRange(s.P95Ms, 95.0, 95.0 * 1.0625);
        Assert.InRange(s.P99Ms, 99.0, 100.0);
        Assert.Equal(100.0, s.MaxMs);
        Assert.Equal(50.05, s.MeanMs);
    }

    [Fact]
    public void A_child_feeds_its_parent_and_Since_gives_only_the_new_values()
    {
        var total = new PublishLatencyHistogram();
        var group = new PublishLatencyHistogram(total);
        group.Record(2_000);
        var before = group.Snapshot();
        group.Record(80_000);
        group.Record(80_000);

        var interval = group.Snapshot().Since(before);

        Assert.Equal(3, total.Count);
        Assert.Equal(2, interval.Count);
        Assert.Equal(80.0, interval.P50Ms);
        Assert.Equal(80.0, interval.MeanMs);
        Assert.Same(PublishLatencySnapshot.Empty, group.Snapshot().Since(group.Snapshot()));
    }

    [Fact]
    public void Merging_shard_snapshots_equals_one_histogram_of_all_values()
    {
        var one = new PublishLatencyHistogram();
        var shards = new[] { new PublishLatencyHistogram(), new PublishLatencyHistogram() };
        var random = new Random(5);
        for (int i = 0; i < 2000; i++)
        {
            long v = random.Next(50, 500_000);
            one.Record(v);
            shards[i % 2].Record(v);
        }

        var merged = PublishLatencySnapshot.Merge([shards[0].Snapshot(), null, shards[1].Snapshot()]);
        var expected = one.Snapshot();

        Assert.Equal(expected.Count, merged.Count);
        Assert.Equal((expected.P50Ms, expected.P95Ms, expected.P99Ms, expected.MaxMs), (merged.P50Ms, merged.P95Ms, merged.P99Ms, merged.MaxMs));
        Assert.Equal(expected.MeanMs, merged.MeanMs, 2);
    }

    [Fact]
    public void Recording_allocates_nothing()
    {
        var h = new PublishLatencyHistogram(new PublishLatencyHistogram());
        h.Record(1); // JIT
        long before = GC.GetAllocatedBytesForCurrentThread();

        for (int i = 0; i < 10_000; i++)
        {
            h.Record(i * 37);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(10_001, h.Count);
    }
}
