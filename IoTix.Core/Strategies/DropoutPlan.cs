using System.Text.Json.Serialization;
using IoTix.Core.Generators;

namespace IoTix.Core.Strategies;

/// <summary>
/// A dropout: which running devices of a group drop, when each drops, and whether and when each
/// reconnects (the seed README's dropout parameters; every field and default as documented there).
/// Pure: <see cref="Plan"/> computes the timeline from the eligible device count and a seed, the
/// engine's scheduler executes it.
/// </summary>
/// <remarks>
/// Drop offsets of the k-th dropped device (k = 0, 1, ...): immediate 0; linear <c>k * delayMs</c>;
/// exponential, an accelerating cascade: the first drops at 0, and the gap before drop k is
/// <c>delayMs / exponentBase^(k-1)</c>, so the gaps shrink (1000, 500, 250 ... ms for base 2) and the
/// whole cascade ends before <c>delayMs * base / (base - 1)</c>; random: each drop at a uniformly
/// random offset in <c>[0, durationMs)</c> from the seeded source. A device that reconnects does so
/// <c>reconnectDelayMs</c> after its own drop.
/// </remarks>
public sealed class DropoutPlan
{
    /// <summary><c>immediate</c>, <c>linear</c> (default), <c>exponential</c>, <c>random</c>.</summary>
    public DropoutStrategyKind Strategy { get; init; } = DropoutStrategyKind.Linear;

    /// <summary>Absolute number of devices to drop; takes precedence over <see cref="Percentage"/>.</summary>
    public int? Count { get; init; }

    /// <summary>Percentage (0-100) of the group's running devices to drop, rounded down.</summary>
    public double? Percentage { get; init; }

    /// <summary>Base delay between dropouts in milliseconds (default 1000).</summary>
    public int DelayMs { get; init; } = 1000;

    /// <summary>Window of the <c>random</c> strategy in milliseconds (default 60000).</summary>
    public int DurationMs { get; init; } = 60_000;

    /// <summary>Rate multiplier of the <c>exponential</c> strategy (default 1.5).</summary>
    public double ExponentBase { get; init; } = 1.5;

    /// <summary>Whether dropped devices reconnect (default false).</summary>
    public bool Reconnect { get; init; }

    /// <summary>Delay from a device's drop to its reconnection attempt in milliseconds (default 0).</summary>
    public int ReconnectDelayMs { get; init; }

    /// <summary>Checks the settings; the message names the offending field.</summary>
    public bool TryValidate(out string? error)
    {
        error = null;
        if (!Enum.IsDefined(Strategy))
        {
            error = "strategy must be one of immediate, linear, exponential, random";
        }
        else if (Count is null && Percentage is null)
        {
            error = "count or percentage is required";
        }
        else if (Count is < 0)
        {
            error = $"count must be 0 or more (was {Count})";
        }
        else if (Count is null && Percentage is { } p && (!double.IsFinite(p) || p < 0 || p > 100))
        {
            error = $"percentage must be between 0 and 100 (was {p})";
        }
        else if (DelayMs < 0)
        {
            error = $"delayMs must be 0 or more (was {DelayMs})";
        }
        else if (DurationMs < 0)
        {
            error = $"durationMs must be 0 or more (was {DurationMs})";
        }
        else if (!double.IsFinite(ExponentBase) || ExponentBase < 1.0)
        {
            error = $"exponentBase must be a number of at least 1 (was {ExponentBase})";
        }
        else if (ReconnectDelayMs < 0)
        {
            error = $"reconnectDelayMs must be 0 or more (was {ReconnectDelayMs})";
        }

        return error is null;
    }

    /// <summary>How many of <paramref name="eligible"/> running devices drop: count (capped), else the percentage rounded down.</summary>
    public int ResolveCount(int eligible)
    {
        if (Count is { } count)
        {
            return Math.Min(count, eligible);
        }

        double pct = Percentage ?? 0;
        return Math.Clamp((int)Math.Floor(eligible * pct / 100.0 + 1e-9), 0, eligible);
    }

    /// <summary>
    /// Plans the dropout over <paramref name="eligible"/> running devices: which positions (0-based
    /// into the eligible list) drop and at which offsets, reproducibly from <paramref name="seed"/>.
    /// </summary>
    public DropoutTimeline Plan(int eligible, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(eligible);
        int n = ResolveCount(eligible);
        var random = new DeviceRandom(seed);

        // Partial Fisher-Yates: a seeded, uniform choice of n positions among the eligible.
        var positions = new int[eligible];
        for (int i = 0; i < eligible; i++)
        {
            positions[i] = i;
        }

        for (int i = 0; i < n; i++)
        {
            int j = i + random.NextInt(eligible - i);
            (positions[i], positions[j]) = (positions[j], positions[i]);
        }

        var entries = new DropoutEntry[n];
        var drops = new long[n];
        ComputeDropOffsets(drops, ref random);
        for (int k = 0; k < n; k++)
        {
            long reconnect = Reconnect ? drops[k] + ReconnectDelayMs : -1;
            entries[k] = new DropoutEntry(positions[k], drops[k], reconnect);
        }

        return new DropoutTimeline(eligible, entries);
    }

    /// <summary>Drop offsets of <paramref name="deviceCount"/> dropped devices, for a preview (random drops from <paramref name="seed"/>, sorted).</summary>
    public IReadOnlyList<TimeSpan> Preview(int deviceCount, ulong seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deviceCount);
        var drops = new long[deviceCount];
        var random = new DeviceRandom(seed);
        ComputeDropOffsets(drops, ref random);
        Array.Sort(drops);
        var result = new TimeSpan[deviceCount];
        for (int i = 0; i < drops.Length; i++)
        {
            result[i] = TimeSpan.FromMilliseconds(drops[i]);
        }

        return result;
    }

    private void ComputeDropOffsets(Span<long> drops, ref DeviceRandom random)
    {
        switch (Strategy)
        {
            case DropoutStrategyKind.Immediate:
                drops.Clear();
                break;
            case DropoutStrategyKind.Linear:
                for (int k = 0; k < drops.Length; k++)
                {
                    drops[k] = (long)k * DelayMs;
                }

                break;
            case DropoutStrategyKind.Exponential:
                double total = 0;
                double gap = DelayMs;
                for (int k = 0; k < drops.Length; k++)
                {
                    if (k > 0)
                    {
                        total += gap;
                        gap /= ExponentBase;
                    }

                    drops[k] = (long)Math.Round(total, MidpointRounding.AwayFromZero);
                }

                break;
            case DropoutStrategyKind.Random:
                for (int k = 0; k < drops.Length; k++)
                {
                    drops[k] = DurationMs == 0 ? 0 : (long)(random.NextDouble() * DurationMs);
                }

                break;
        }
    }
}

/// <summary>A planned dropout: the eligible device count and one entry per dropped device.</summary>
public sealed record DropoutTimeline(int EligibleCount, IReadOnlyList<DropoutEntry> Entries);

/// <summary>One dropped device: its position in the eligible list, its drop offset and its reconnect offset (-1: no reconnect).</summary>
public readonly record struct DropoutEntry(int Position, long DropAtMs, long ReconnectAtMs);

[JsonConverter(typeof(JsonStringEnumConverter<DropoutStrategyKind>))]
public enum DropoutStrategyKind
{
    [JsonStringEnumMemberName("immediate")] Immediate,
    [JsonStringEnumMemberName("linear")] Linear,
    [JsonStringEnumMemberName("exponential")] Exponential,
    [JsonStringEnumMemberName("random")] Random,
}
