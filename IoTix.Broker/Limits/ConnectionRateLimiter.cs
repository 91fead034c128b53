using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;

namespace IoTix.Broker.Limits;

/// <summary>What to do with a new connection from one IP (FR-014b).</summary>
public readonly record struct RateLimitDecision(bool Accepted, TimeSpan Delay)
{
    public static RateLimitDecision Now { get; } = new(true, TimeSpan.Zero);

    public static RateLimitDecision Rejected { get; } = new(false, TimeSpan.Zero);
}

/// <summary>
/// Per source IP, at most <c>PerIpPerSecond</c> connections are handed to MQTT each second. Excess connections
/// are not refused at once: each gets the next free slot (a delay), up to <c>MaxQueuedPerIp</c> waiting; beyond
/// that the connection is closed. Slots are spaced 1/rate apart, so a burst is smoothed, not dropped.
/// </summary>
internal sealed class ConnectionRateLimiter
{
    private const int PruneThreshold = 4096;

    private readonly ConcurrentDictionary<IPAddress, Bucket> _buckets = new();
    private readonly TimeProvider _timeProvider;
    private readonly long _burstTicks;
    private long _intervalTicks;
    private readonly int _maxQueued;
    private readonly bool _exemptLoopback;

    public ConnectionRateLimiter(IOptions<BrokerOptions> options, TimeProvider timeProvider)
    {
        var limit = options.Value.ConnectionRateLimit;
        _timeProvider = timeProvider;
        _intervalTicks = IntervalTicks(limit.PerIpPerSecond);
        _burstTicks = TimeSpan.TicksPerSecond;
        _maxQueued = limit.MaxQueuedPerIp;
        _exemptLoopback = limit.ExemptLoopback;
    }

    public bool IsEnabled => Volatile.Read(ref _intervalTicks) > 0;

    /// <summary>
    /// Changes the per-IP rate at run time (console settings); 0 turns the limit off. Connections already waiting keep
    /// their slot; the next ones are spaced by the new interval.
    /// </summary>
    public void SetRate(int perIpPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(perIpPerSecond);
        Volatile.Write(ref _intervalTicks, IntervalTicks(perIpPerSecond));
    }

    /// <summary>Reserves a slot for a connection from <paramref name="address"/>; call <see cref="Release"/> after a non-zero delay.</summary>
    public RateLimitDecision Acquire(IPAddress address)
    {
        var interval = Volatile.Read(ref _intervalTicks);
        if (interval == 0 || (_exemptLoopback && IPAddress.IsLoopback(address)))
        {
            return RateLimitDecision.Now;
        }

        if (_buckets.Count > PruneThreshold)
        {
            Prune();
        }

        var now = NowTicks();
        var bucket = _buckets.GetOrAdd(address, static _ => new Bucket());
        lock (bucket)
        {
            // The "virtual clock" of the bucket: the time at which the next slot is free. It may lag up to one
            // second behind now (the burst allowance).
            var next = Math.Max(bucket.NextSlotTicks, now - _burstTicks + interval);
            if (next <= now)
            {
                bucket.NextSlotTicks = next + interval;
                bucket.LastUsedTicks = now;
                return RateLimitDecision.Now;
            }

            if (bucket.Waiting >= _maxQueued)
            {
                return RateLimitDecision.Rejected;
            }

            bucket.Waiting++;
            bucket.NextSlotTicks = next + interval;
            bucket.LastUsedTicks = now;
            return new RateLimitDecision(true, TimeSpan.FromTicks(next - now));
        }
    }

    /// <summary>A delayed connection got its turn (or gave up).</summary>
    public void Release(IPAddress address)
    {
        if (_buckets.TryGetValue(address, out var bucket))
        {
            lock (bucket)
            {
                bucket.Waiting--;
            }
        }
    }

    private void Prune()
    {
        var now = NowTicks();
        foreach (var pair in _buckets)
        {
            lock (pair.Value)
            {
                if (pair.Value.Waiting == 0 && now - pair.Value.LastUsedTicks > 10 * TimeSpan.TicksPerSecond)
                {
                    _buckets.TryRemove(pair);
                }
            }
        }
    }

    private static long IntervalTicks(int perIpPerSecond) => perIpPerSecond > 0 ? TimeSpan.TicksPerSecond / perIpPerSecond : 0;

    private long NowTicks() => _timeProvider.GetElapsedTime(0, _timeProvider.GetTimestamp()).Ticks;

    private sealed class Bucket
    {
        public long NextSlotTicks;
        public long LastUsedTicks;
        public int Waiting;
    }
}
