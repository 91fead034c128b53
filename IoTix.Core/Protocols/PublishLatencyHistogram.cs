using System.Numerics;

namespace IoTix.Core.Protocols;

/// <summary>
/// Publish latency of acknowledged messages (MQTT QoS 1/2: PUBLISH written -> PUBACK/PUBCOMP), as a
/// fixed log-bucket histogram in microseconds: exact below 32 µs, then 16 buckets per power of two
/// (at most 6.25 % wide), up to 2^40 µs (about 12.7 days; longer values count in the last bucket).
/// <see cref="Record"/> is thread-safe and allocation-free (a few interlocked adds on a fixed array),
/// so adapters call it per acknowledgement. A histogram may feed a parent (the engine's total).
/// </summary>
public sealed class PublishLatencyHistogram
{
    private const int ExactBuckets = 32;
    private const int SubBucketBits = 4;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int FirstExponent = 5; // 2^5 = 32
    private const int LastExponent = 40;

    /// <summary>Number of buckets.</summary>
    public const int BucketCount = ExactBuckets + ((LastExponent - FirstExponent + 1) * SubBuckets);

    private readonly long[] _counts = new long[BucketCount];
    private readonly PublishLatencyHistogram? _parent;
    private long _count;
    private long _sum;
    private long _max;

    /// <param name="parent">Also records every value there (e.g. a group's histogram feeding the engine's total).</param>
    public PublishLatencyHistogram(PublishLatencyHistogram? parent = null)
    {
        _parent = parent;
    }

    /// <summary>Values recorded.</summary>
    public long Count => Volatile.Read(ref _count);

    /// <summary>Records one latency in microseconds (negative values count as 0).</summary>
    public void Record(long microseconds)
    {
        if (microseconds < 0)
        {
            microseconds = 0;
        }

        Interlocked.Increment(ref _counts[BucketOf(microseconds)]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sum, microseconds);
        long max = Volatile.Read(ref _max);
        while (microseconds > max)
        {
            long seen = Interlocked.CompareExchange(ref _max, microseconds, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }

        _parent?.Record(microseconds);
    }

    /// <summary>Records the time from <paramref name="startTimestamp"/> (<see cref="TimeProvider.GetTimestamp"/>) to now.</summary>
    public void RecordSince(TimeProvider time, long startTimestamp)
    {
        ArgumentNullException.ThrowIfNull(time);
        Record(time.GetElapsedTime(startTimestamp).Ticks / TimeSpan.TicksPerMicrosecond);
    }

    /// <summary>Adds <paramref name="count"/> values of a bucket by its upper bound (merging reports).</summary>
    public void AddBucket(long upperBoundMicroseconds, long count)
    {
        if (count <= 0)
        {
            return;
        }

        int bucket = BucketOf(Math.Max(0, upperBoundMicroseconds));
        long upper = UpperBound(bucket);
        Interlocked.Add(ref _counts[bucket], count);
        Interlocked.Add(ref _count, count);
        Interlocked.Add(ref _sum, upper * count);
        long max = Volatile.Read(ref _max);
        while (upper > max && Interlocked.CompareExchange(ref _max, upper, max) != max)
        {
            max = Volatile.Read(ref _max);
        }
    }

    /// <summary>Adds every value of <paramref name="other"/> (its sum and maximum too).</summary>
    public void Add(PublishLatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int i = 0; i < BucketCount; i++)
        {
            long n = Volatile.Read(ref other._counts[i]);
            if (n > 0)
            {
                Interlocked.Add(ref _counts[i], n);
            }
        }

        Interlocked.Add(ref _count, other.Count);
        Interlocked.Add(ref _sum, Volatile.Read(ref other._sum));
        long otherMax = Volatile.Read(ref other._max);
        long max = Volatile.Read(ref _max);
        while (otherMax > max && Interlocked.CompareExchange(ref _max, otherMax, max) != max)
        {
            max = Volatile.Read(ref _max);
        }
    }

    /// <summary>Percentiles, maximum and mean (a snapshot; percentiles are the upper bound of their bucket, at most the maximum).</summary>
    public PublishLatencySnapshot Snapshot()
    {
        if (Volatile.Read(ref _count) == 0)
        {
            return PublishLatencySnapshot.Empty; // groups without QoS 1/2 traffic cost nothing to sample
        }

        Span<long> counts = stackalloc long[BucketCount];
        long total = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            counts[i] = Volatile.Read(ref _counts[i]);
            total += counts[i];
        }

        if (total == 0)
        {
            return PublishLatencySnapshot.Empty;
        }

        long max = Volatile.Read(ref _max);
        double mean = Volatile.Read(ref _sum) / (double)total;
        var buckets = new List<PublishLatencyBucket>();
        for (int i = 0; i < counts.Length; i++)
        {
            if (counts[i] > 0)
            {
                buckets.Add(new PublishLatencyBucket(UpperBound(i), counts[i]));
            }
        }

        return new PublishLatencySnapshot(
            total,
            Ms(Percentile(counts, total, 0.50, max)),
            Ms(Percentile(counts, total, 0.95, max)),
            Ms(Percentile(counts, total, 0.99, max)),
            Ms(max),
            Math.Round(mean / 1000.0, 3),
            buckets);
    }

    /// <summary>The largest value (µs) counted in <paramref name="bucket"/>.</summary>
    public static long UpperBound(int bucket)
    {
        if (bucket < ExactBuckets)
        {
            return bucket;
        }

        int e = FirstExponent + ((bucket - ExactBuckets) >> SubBucketBits);
        long sub = (bucket - ExactBuckets) & (SubBuckets - 1);
        long width = 1L << (e - SubBucketBits);
        return (1L << e) + ((sub + 1) * width) - 1;
    }

    internal static int BucketOf(long microseconds)
    {
        if (microseconds < ExactBuckets)
        {
            return (int)microseconds;
        }

        int e = 63 - BitOperations.LeadingZeroCount((ulong)microseconds);
        if (e > LastExponent)
        {
            return BucketCount - 1;
        }

        int sub = (int)((microseconds >> (e - SubBucketBits)) & (SubBuckets - 1));
        return ExactBuckets + ((e - FirstExponent) << SubBucketBits) + sub;
    }

    private static long Percentile(ReadOnlySpan<long> counts, long total, double quantile, long max)
    {
        long rank = Math.Max(1, (long)Math.Ceiling(quantile * total));
        long seen = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= rank)
            {
                return Math.Min(UpperBound(i), max);
            }
        }

        return max;
    }

    private static double Ms(long microseconds) => Math.Round(microseconds / 1000.0, 3);
}

/// <summary>Publish latency percentiles in milliseconds, with the non-empty buckets (upper bound in µs, count) for merging.</summary>
public sealed record PublishLatencySnapshot(
    long Count,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    double MaxMs,
    double MeanMs,
    IReadOnlyList<PublishLatencyBucket> Buckets)
{
    /// <summary>No value recorded.</summary>
    public static PublishLatencySnapshot Empty { get; } = new(0, 0, 0, 0, 0, 0, []);

    /// <summary>
    /// The values recorded after <paramref name="previous"/> (an earlier snapshot of the same histogram), e.g. the
    /// latency of the last sampling interval: bucket counts subtracted, percentiles from what remains, maximum = the
    /// highest non-empty bucket's bound (at most this snapshot's maximum).
    /// </summary>
    public PublishLatencySnapshot Since(PublishLatencySnapshot? previous)
    {
        if (previous is null || previous.Count == 0)
        {
            return this;
        }

        long count = Count - previous.Count;
        if (count <= 0)
        {
            return Empty;
        }

        var delta = new PublishLatencyHistogram();
        int j = 0;
        var before = previous.Buckets;
        foreach (var b in Buckets)
        {
            while (j < before.Count && before[j].UpperMicroseconds < b.UpperMicroseconds)
            {
                j++;
            }

            long n = b.Count - (j < before.Count && before[j].UpperMicroseconds == b.UpperMicroseconds ? before[j].Count : 0);
            delta.AddBucket(b.UpperMicroseconds, n);
        }

        var d = delta.Snapshot();
        if (d.Count == 0)
        {
            return Empty;
        }

        double mean = ((MeanMs * Count) - (previous.MeanMs * previous.Count)) / count;
        return d with
        {
            P50Ms = Math.Min(d.P50Ms, MaxMs),
            P95Ms = Math.Min(d.P95Ms, MaxMs),
            P99Ms = Math.Min(d.P99Ms, MaxMs),
            MaxMs = Math.Min(d.MaxMs, MaxMs),
            MeanMs = Math.Round(Math.Max(0, mean), 3),
        };
    }

    /// <summary>Merges snapshots (e.g. the shards of a run) through their buckets.</summary>
    public static PublishLatencySnapshot Merge(IEnumerable<PublishLatencySnapshot?> snapshots)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        var merged = new PublishLatencyHistogram();
        double max = 0;
        double sum = 0;
        foreach (var s in snapshots)
        {
            if (s is null)
            {
                continue;
            }

            max = Math.Max(max, s.MaxMs);
            sum += s.MeanMs * s.Count;
            foreach (var b in s.Buckets)
            {
                merged.AddBucket(b.UpperMicroseconds, b.Count);
            }
        }

        var m = merged.Snapshot();
        return m.Count == 0 ? m : m with
        {
            P50Ms = Math.Min(m.P50Ms, max),
            P95Ms = Math.Min(m.P95Ms, max),
            P99Ms = Math.Min(m.P99Ms, max),
            MaxMs = max,
            MeanMs = Math.Round(sum / m.Count, 3),
        };
    }
}

/// <summary>One histogram bucket: values up to <paramref name="UpperMicroseconds"/> (above the previous bucket's bound).</summary>
public readonly record struct PublishLatencyBucket(long UpperMicroseconds, long Count);
