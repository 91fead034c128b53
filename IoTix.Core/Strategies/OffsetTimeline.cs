namespace IoTix.Core.Strategies;

/// <summary>Reading a strategy's offsets as a timeline (how many devices have started or dropped by a time), for previews.</summary>
public static class OffsetTimeline
{
    /// <summary>Number of offsets in <paramref name="sorted"/> (ascending) that are at or before <paramref name="atMs"/>.</summary>
    public static int CountAtOrBefore(ReadOnlySpan<long> sorted, long atMs)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= atMs)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
