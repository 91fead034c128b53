using IoTix.Core.Strategies;

namespace IoTix.Web.Components.Pages.Groups;

/// <summary>
/// The launch form: exactly the fields of <see cref="LaunchStrategy"/> with its defaults; validation through
/// <see cref="LaunchStrategy.TryValidate"/>, whose message names the field, shown at that field.
/// </summary>
public sealed class LaunchForm
{
    private static readonly LaunchStrategy Defaults = new();

    public LaunchStrategyKind Strategy { get; set; } = Defaults.Strategy;

    public int DelayMs { get; set; } = Defaults.DelayMs;

    public int BatchSize { get; set; } = Defaults.BatchSize;

    public int MaxDelayMs { get; set; } = Defaults.MaxDelayMs;

    public double ExponentBase { get; set; } = Defaults.ExponentBase;

    /// <summary>Which fields the chosen strategy uses (the others keep their defaults and are not shown).</summary>
    public bool Uses(string field) => (Strategy, field) switch
    {
        (LaunchStrategyKind.Linear, "delayMs") => true,
        (LaunchStrategyKind.Batch, "delayMs" or "batchSize") => true,
        (LaunchStrategyKind.Exponential, "delayMs" or "exponentBase" or "maxDelayMs") => true,
        _ => false,
    };

    public LaunchStrategy ToStrategy() => new()
    {
        Strategy = Strategy,
        DelayMs = DelayMs,
        BatchSize = BatchSize,
        MaxDelayMs = MaxDelayMs,
        ExponentBase = ExponentBase,
    };

    /// <summary>The field in error and its message, or null when the settings are valid.</summary>
    public FieldError? Validate() =>
        ToStrategy().TryValidate(out var error) ? null : FieldError.From(error!);

    /// <summary>How many devices have started by each of <paramref name="points"/> times (the ramp to expect).</summary>
    public StrategyTimeline Preview(int deviceCount, int points = 40)
    {
        var strategy = ToStrategy();
        if (deviceCount <= 0 || !strategy.TryValidate(out _))
        {
            return StrategyTimeline.Empty;
        }

        var offsets = new long[deviceCount];
        strategy.ComputeOffsets(offsets);
        return StrategyTimeline.FromOffsets(offsets, null, points);
    }
}

/// <summary>
/// The dropout form: exactly the fields of <see cref="DropoutPlan"/> with its defaults (count or percentage);
/// validation through <see cref="DropoutPlan.TryValidate"/>.
/// </summary>
public sealed class DropoutForm
{
    private static readonly DropoutPlan Defaults = new();

    public DropoutStrategyKind Strategy { get; set; } = Defaults.Strategy;

    /// <summary>Whether the amount is a count of devices (else a percentage).</summary>
    public bool ByCount { get; set; }

    public int? Count { get; set; }

    public double? Percentage { get; set; }

    public int DelayMs { get; set; } = Defaults.DelayMs;

    public int DurationMs { get; set; } = Defaults.DurationMs;

    public double ExponentBase { get; set; } = Defaults.ExponentBase;

    public bool Reconnect { get; set; } = Defaults.Reconnect;

    public int ReconnectDelayMs { get; set; } = Defaults.ReconnectDelayMs;

    public bool Uses(string field) => (Strategy, field) switch
    {
        (_, "count") => ByCount,
        (_, "percentage") => !ByCount,
        (_, "reconnectDelayMs") => Reconnect,
        (DropoutStrategyKind.Linear, "delayMs") => true,
        (DropoutStrategyKind.Exponential, "delayMs" or "exponentBase") => true,
        (DropoutStrategyKind.Random, "durationMs") => true,
        _ => false,
    };

    public DropoutPlan ToPlan() => new()
    {
        Strategy = Strategy,
        Count = ByCount ? Count : null,
        Percentage = ByCount ? null : Percentage,
        DelayMs = DelayMs,
        DurationMs = DurationMs,
        ExponentBase = ExponentBase,
        Reconnect = Reconnect,
        ReconnectDelayMs = ReconnectDelayMs,
    };

    public FieldError? Validate()
    {
        if (ToPlan().TryValidate(out var error))
        {
            return null;
        }

        // "count or percentage is required" concerns whichever of the two the form shows.
        return error!.StartsWith("count or percentage", StringComparison.Ordinal)
            ? new FieldError(ByCount ? "count" : "percentage", error)
            : FieldError.From(error);
    }

    /// <summary>
    /// The timeline the dropout will follow over <paramref name="eligible"/> running devices: devices dropped so far
    /// and, with reconnect, reconnected so far, at each of <paramref name="points"/> times (random offsets from <paramref name="seed"/>).
    /// </summary>
    public StrategyTimeline Preview(int eligible, ulong seed, int points = 40)
    {
        var plan = ToPlan();
        if (eligible <= 0 || !plan.TryValidate(out _))
        {
            return StrategyTimeline.Empty;
        }

        var preview = plan.Preview(plan.ResolveCount(eligible), seed);
        var drops = new long[preview.Count];
        for (var i = 0; i < drops.Length; i++)
        {
            drops[i] = (long)preview[i].TotalMilliseconds;
        }

        long[]? reconnects = null;
        if (plan.Reconnect)
        {
            reconnects = new long[drops.Length];
            for (var i = 0; i < drops.Length; i++)
            {
                reconnects[i] = drops[i] + plan.ReconnectDelayMs;
            }
        }

        return StrategyTimeline.FromOffsets(drops, reconnects, points);
    }
}

/// <summary>A validation message and the request field it names.</summary>
public sealed record FieldError(string Field, string Message)
{
    private static readonly string[] Fields =
        ["strategy", "delayMs", "batchSize", "maxDelayMs", "exponentBase", "count", "percentage", "durationMs", "reconnectDelayMs", "reconnect"];

    /// <summary>Attributes a strategy's message ("batchSize must be at least 1 (was 0)") to the field it starts with.</summary>
    public static FieldError From(string message)
    {
        foreach (var field in Fields)
        {
            if (message.StartsWith(field, StringComparison.Ordinal) && message.Length > field.Length && message[field.Length] == ' ')
            {
                return new FieldError(field, message);
            }
        }

        return new FieldError("strategy", message);
    }
}

/// <summary>
/// A cumulative timeline for a preview chart: at each time (ms from the request), how many offsets have passed
/// (<see cref="Primary"/>: started or dropped devices) and, optionally, how many of the second set (reconnected).
/// </summary>
public sealed record StrategyTimeline(IReadOnlyList<long> AtMs, IReadOnlyList<double> Primary, IReadOnlyList<double>? Secondary, long TotalMs, int Total)
{
    public static StrategyTimeline Empty { get; } = new([], [], null, 0, 0);

    public static StrategyTimeline FromOffsets(long[] primary, long[]? secondary, int points)
    {
        ArgumentNullException.ThrowIfNull(primary);
        Array.Sort(primary);
        if (secondary is not null)
        {
            Array.Sort(secondary);
        }

        long total = Math.Max(primary.Length == 0 ? 0 : primary[^1], secondary is { Length: > 0 } ? secondary[^1] : 0);
        points = Math.Max(2, points);
        var at = new long[points];
        var first = new double[points];
        var second = secondary is null ? null : new double[points];
        for (var j = 0; j < points; j++)
        {
            at[j] = total * j / (points - 1);
            first[j] = OffsetTimeline.CountAtOrBefore(primary, at[j]);
            if (second is not null)
            {
                second[j] = OffsetTimeline.CountAtOrBefore(secondary!, at[j]);
            }
        }

        return new StrategyTimeline(at, first, second, total, primary.Length);
    }

    /// <summary>Axis labels: the time of every tenth point, in seconds.</summary>
    public string[] Labels(int every = 8)
    {
        var labels = new string[AtMs.Count];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = i % every == 0 || i == labels.Length - 1 ? FormatMs(AtMs[i]) : string.Empty;
        }

        return labels;
    }

    public static string FormatMs(long ms) => ms switch
    {
        < 1000 => $"{ms} ms",
        < 120_000 => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{ms / 1000.0:0.##} s"),
        _ => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{ms / 60_000.0:0.#} min"),
    };
}
