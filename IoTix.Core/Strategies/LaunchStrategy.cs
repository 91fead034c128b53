using System.Text.Json.Serialization;

namespace IoTix.Core.Strategies;

/// <summary>
/// How a group's devices are started (the seed README's launch configuration; every field and
/// default as documented there). Pure: <see cref="ComputeOffsets"/> gives each device's start
/// offset from the start request, and the engine's scheduler executes them.
/// </summary>
/// <remarks>
/// Offsets of the device at position <c>i</c> (0-based, in index order):
/// immediate 0; linear <c>i * delayMs</c>; batch <c>floor(i / batchSize) * delayMs</c>;
/// exponential: the gap before device <c>k</c> (k &gt;= 1) is <c>min(delayMs * exponentBase^(k-1), maxDelayMs)</c>
/// and the offset is the sum of the gaps so far (1 ms, 1.1 ms, 1.21 ms ... capped), rounded to whole milliseconds.
/// </remarks>
public sealed class LaunchStrategy
{
    /// <summary><c>immediate</c> (default), <c>linear</c>, <c>batch</c>, <c>exponential</c>.</summary>
    public LaunchStrategyKind Strategy { get; init; } = LaunchStrategyKind.Immediate;

    /// <summary>Base delay in milliseconds (default 0).</summary>
    public int DelayMs { get; init; }

    /// <summary>Devices per batch for <c>batch</c> (default 100).</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>Cap of one delay for <c>exponential</c> (default 60000).</summary>
    public int MaxDelayMs { get; init; } = 60_000;

    /// <summary>Multiplier of successive delays for <c>exponential</c> (default 1.5).</summary>
    public double ExponentBase { get; init; } = 1.5;

    public static LaunchStrategy Immediate { get; } = new();

    /// <summary>Checks the settings; the message names the offending field.</summary>
    public bool TryValidate(out string? error)
    {
        error = null;
        if (!Enum.IsDefined(Strategy))
        {
            error = "strategy must be one of immediate, linear, batch, exponential";
        }
        else if (DelayMs < 0)
        {
            error = $"delayMs must be 0 or more (was {DelayMs})";
        }
        else if (BatchSize < 1)
        {
            error = $"batchSize must be at least 1 (was {BatchSize})";
        }
        else if (MaxDelayMs < 0)
        {
            error = $"maxDelayMs must be 0 or more (was {MaxDelayMs})";
        }
        else if (!double.IsFinite(ExponentBase) || ExponentBase < 1.0)
        {
            error = $"exponentBase must be a number of at least 1 (was {ExponentBase})";
        }

        return error is null;
    }

    /// <summary>Writes the start offset in milliseconds of each of <c>offsets.Length</c> devices, in launch order.</summary>
    public void ComputeOffsets(Span<long> offsets)
    {
        switch (Strategy)
        {
            case LaunchStrategyKind.Linear:
                for (int i = 0; i < offsets.Length; i++)
                {
                    offsets[i] = (long)i * DelayMs;
                }

                break;
            case LaunchStrategyKind.Batch:
                for (int i = 0; i < offsets.Length; i++)
                {
                    offsets[i] = (long)(i / BatchSize) * DelayMs;
                }

                break;
            case LaunchStrategyKind.Exponential:
                double total = 0;
                double gap = DelayMs;
                for (int i = 0; i < offsets.Length; i++)
                {
                    if (i > 0)
                    {
                        total += Math.Min(gap, MaxDelayMs);
                        gap = Math.Min(gap * ExponentBase, MaxDelayMs);
                    }

                    offsets[i] = (long)Math.Round(total, MidpointRounding.AwayFromZero);
                }

                break;
            default:
                offsets.Clear();
                break;
        }
    }

    /// <summary>The start offsets of <paramref name="deviceCount"/> devices, for a preview in the console.</summary>
    public IReadOnlyList<TimeSpan> Preview(int deviceCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deviceCount);
        var offsets = new long[deviceCount];
        ComputeOffsets(offsets);
        var result = new TimeSpan[deviceCount];
        for (int i = 0; i < offsets.Length; i++)
        {
            result[i] = TimeSpan.FromMilliseconds(offsets[i]);
        }

        return result;
    }

    /// <summary>How long the launch of <paramref name="deviceCount"/> devices takes (offset of the last one).</summary>
    public TimeSpan TotalDuration(int deviceCount)
    {
        if (deviceCount <= 1)
        {
            return TimeSpan.Zero;
        }

        var offsets = new long[deviceCount];
        ComputeOffsets(offsets);
        return TimeSpan.FromMilliseconds(offsets[^1]);
    }
}

[JsonConverter(typeof(JsonStringEnumConverter<LaunchStrategyKind>))]
public enum LaunchStrategyKind
{
    [JsonStringEnumMemberName("immediate")] Immediate,
    [JsonStringEnumMemberName("linear")] Linear,
    [JsonStringEnumMemberName("batch")] Batch,
    [JsonStringEnumMemberName("exponential")] Exponential,
}
