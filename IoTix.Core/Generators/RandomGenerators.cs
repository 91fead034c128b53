using System.Text.Json;
using IoTix.Core.Models;

namespace IoTix.Core.Generators;

/// <summary>Immutable settings of one <c>random</c> item, shared by all devices.</summary>
internal sealed class RandomSettings
{
    public double Min;
    public double Max;
    public double Mean;
    public double Stddev;

    /// <summary>Integer items: the whole-number bounds (ceil(min), floor(max)).</summary>
    public bool Integer;
    public long IntMin;
    public long IntMax;

    /// <summary>Exponential: 1 - exp(-(max - min) / mean), the CDF mass inside the range (1 when unbounded).</summary>
    public double ExponentialMass;

    /// <summary>Boolean items: probability of true.</summary>
    public double Probability;

    /// <summary>Choices when <c>values</c> is set.</summary>
    public TelemetryValue[] Choices = [];

    public double FitInteger(double x)
    {
        double r = GeneratorMath.RoundInteger(x);
        if (r < IntMin)
        {
            return IntMin;
        }

        return r > IntMax ? IntMax : r;
    }
}

internal sealed class RandomPreparation(RandomSettings settings, RandomPreparation.Kind kind) : ItemPreparation
{
    internal enum Kind
    {
        Uniform,
        UniformInteger,
        Normal,
        Exponential,
        Boolean,
        Choice,
    }

    private readonly RandomAlgorithm _algorithm = kind switch
    {
        Kind.Uniform => new UniformAlgorithm(settings),
        Kind.UniformInteger => new UniformIntegerAlgorithm(settings),
        Kind.Normal => new NormalAlgorithm(settings),
        Kind.Exponential => new ExponentialAlgorithm(settings),
        Kind.Boolean => new RandomBooleanAlgorithm(settings),
        _ => new RandomChoiceAlgorithm(settings),
    };

    internal override SharedItemGenerator Shared => _algorithm;

    public override TelemetryGenerator Create(in GeneratorContext context) =>
        new RandomItemGenerator(_algorithm, DeviceRandom.For(context.RunSeed, context.DeviceId, context.Stream));

    /// <summary>Parses a <c>random</c> definition; null with issues when unusable.</summary>
    public static RandomPreparation? TryCreate(TelemetryDefinition telemetry, List<GeneratorIssue> issues)
    {
        var g = telemetry.Generator;
        var settings = new RandomSettings();
        int before = issues.Count;

        if (g.Values is { } values)
        {
            if (values.ValueKind != JsonValueKind.Array || values.GetArrayLength() == 0)
            {
                issues.Add(new("generator.values", "values must be a non-empty array"));
                return null;
            }

            var choices = new TelemetryValue[values.GetArrayLength()];
            int i = 0;
            foreach (var element in values.EnumerateArray())
            {
                if (!JsonValues.TryConvert(element, telemetry.Type, out choices[i], out string? error))
                {
                    issues.Add(new($"generator.values[{i}]", error));
                }

                i++;
            }

            settings.Choices = choices;
            return issues.Count == before ? new RandomPreparation(settings, Kind.Choice) : null;
        }

        switch (telemetry.Type)
        {
            case TelemetryDataType.Boolean:
                settings.Probability = g.Mean ?? 0.5;
                if (settings.Probability is < 0 or > 1 || double.IsNaN(settings.Probability))
                {
                    issues.Add(new("generator.mean", "for boolean items mean is the probability of true and must be between 0 and 1"));
                    return null;
                }

                return new RandomPreparation(settings, Kind.Boolean);
            case TelemetryDataType.String:
                issues.Add(new("generator.values", "random string items need a values list to choose from"));
                return null;
            case TelemetryDataType.Binary:
                issues.Add(new("generator.type", "random does not apply to binary items; use a custom handler such as ecg_generator"));
                return null;
        }

        string distribution = g.Distribution ?? "uniform";
        settings.Integer = telemetry.Type == TelemetryDataType.Integer;
        if (g.Min > g.Max)
        {
            issues.Add(new("generator.min", "min must not be greater than max", Generic: true));
            return null;
        }

        Kind kind;
        if (distribution.Equals("uniform", StringComparison.OrdinalIgnoreCase))
        {
            if (g.Min is null || g.Max is null)
            {
                issues.Add(new("generator", "a uniform distribution needs min and max"));
                return null;
            }

            settings.Min = g.Min.Value;
            settings.Max = g.Max.Value;
            kind = settings.Integer ? Kind.UniformInteger : Kind.Uniform;
        }
        else if (distribution.Equals("normal", StringComparison.OrdinalIgnoreCase))
        {
            settings.Min = g.Min ?? double.NegativeInfinity;
            settings.Max = g.Max ?? double.PositiveInfinity;
            bool bounded = g.Min is not null && g.Max is not null;
            if (!bounded && (g.Mean is null || g.Stddev is null))
            {
                issues.Add(new("generator", "a normal distribution needs mean and stddev, or min and max to derive them"));
                return null;
            }

            settings.Mean = g.Mean ?? (settings.Min + settings.Max) / 2;
            settings.Stddev = g.Stddev ?? (settings.Max - settings.Min) / 6;
            if (settings.Stddev < 0)
            {
                issues.Add(new("generator.stddev", "stddev must not be negative"));
                return null;
            }

            kind = Kind.Normal;
        }
        else if (distribution.Equals("exponential", StringComparison.OrdinalIgnoreCase))
        {
            settings.Min = g.Min ?? 0;
            settings.Max = g.Max ?? double.PositiveInfinity;
            if (g.Mean is null && g.Max is null)
            {
                issues.Add(new("generator", "an exponential distribution needs mean, or max to derive it"));
                return null;
            }

            settings.Mean = g.Mean ?? (settings.Max - settings.Min) / 5;
            if (!(settings.Mean > 0))
            {
                issues.Add(new("generator.mean", "the exponential mean (above min) must be greater than 0"));
                return null;
            }

            settings.ExponentialMass = double.IsPositiveInfinity(settings.Max)
                ? 1.0
                : -double.ExpM1(-(settings.Max - settings.Min) / settings.Mean);
            kind = Kind.Exponential;
        }
        else
        {
            issues.Add(new("generator.distribution", $"unknown distribution '{distribution}'; use uniform, normal or exponential", Generic: true));
            return null;
        }

        if (settings.Integer)
        {
            settings.IntMin = double.IsNegativeInfinity(settings.Min) ? long.MinValue / 2 : (long)Math.Ceiling(settings.Min);
            settings.IntMax = double.IsPositiveInfinity(settings.Max) ? long.MaxValue / 2 : (long)Math.Floor(settings.Max);
            if (settings.IntMin > settings.IntMax)
            {
                issues.Add(new("generator", $"no whole number lies between min {settings.Min} and max {settings.Max} for this integer item"));
                return null;
            }
        }

        return new RandomPreparation(settings, kind);
    }
}

/// <summary>
/// The algorithm of one <c>random</c> item, shared by every device of the model: the only
/// per-device state is the <see cref="DeviceRandom"/> passed in, so the engine can keep it inline
/// in the device instead of in a generator object per device and item.
/// </summary>
internal abstract class RandomAlgorithm(RandomSettings settings) : SharedItemGenerator
{
    protected RandomSettings Settings { get; } = settings;
}

/// <summary>A device's generator for a <c>random</c> item: the shared algorithm and the device's own random source.</summary>
internal sealed class RandomItemGenerator(RandomAlgorithm algorithm, DeviceRandom random) : TelemetryGenerator
{
    private DeviceRandom _random = random;

    public override void Next(ref TelemetryValue value, long nowMs) => algorithm.Next(ref value, ref _random);
}

/// <summary>Uniform in [min, max).</summary>
internal sealed class UniformAlgorithm(RandomSettings settings) : RandomAlgorithm(settings)
{
    public override void Next(ref TelemetryValue value, ref DeviceRandom random)
    {
        var settings = Settings;
        value.Number = settings.Min + (random.NextDouble() * (settings.Max - settings.Min));
        value.HasValue = true;
    }
}

/// <summary>Uniform over the whole numbers ceil(min)..floor(max), each equally likely.</summary>
internal sealed class UniformIntegerAlgorithm(RandomSettings settings) : RandomAlgorithm(settings)
{
    public override void Next(ref TelemetryValue value, ref DeviceRandom random)
    {
        var settings = Settings;
        ulong count = (ulong)(settings.IntMax - settings.IntMin) + 1;
        value.Number = settings.IntMin + (long)(random.NextUInt64() % count);
        value.HasValue = true;
    }
}

/// <summary>Normal(mean, stddev) kept inside [min, max]: redrawn up to 4 times when outside, then clamped.</summary>
internal sealed class NormalAlgorithm(RandomSettings settings) : RandomAlgorithm(settings)
{
    public override void Next(ref TelemetryValue value, ref DeviceRandom random)
    {
        var settings = Settings;
        double x = 0;
        for (int attempt = 0; attempt < 4; attempt++)
        {
            x = settings.Mean + (settings.Stddev * GeneratorMath.StandardNormal(ref random));
            if (x >= settings.Min && x <= settings.Max)
            {
                break;
            }
        }

        x = Math.Clamp(x, settings.Min, settings.Max);
        value.Number = settings.Integer ? settings.FitInteger(x) : x;
        value.HasValue = true;
    }
}

/// <summary>min + Exp(mean), truncated at max by inverting the truncated CDF (no pile-up at max, no loop).</summary>
internal sealed class ExponentialAlgorithm(RandomSettings settings) : RandomAlgorithm(settings)
{
    public override void Next(ref TelemetryValue value, ref DeviceRandom random)
    {
        var settings = Settings;
        double u = random.NextDouble() * settings.ExponentialMass; // [0, mass)
        double x = settings.Min - (settings.Mean * Math.Log(1.0 - u));
        x = Math.Min(x, settings.Max);
        value.Number = settings.Integer ? settings.FitInteger(x) : x;
        value.HasValue = true;
    }
}

/// <summary>True with probability <c>mean</c> (default 0.5).</summary>
internal sealed class RandomBooleanAlgorithm(RandomSettings settings) : RandomAlgorithm(settings)
{
    public override void Next(ref TelemetryValue value, ref DeviceRandom random)
    {
        value.Boolean = random.NextDouble() < Settings.Probability;
        value.HasValue = true;
    }
}

/// <summary>One of <c>values</c>, each equally likely.</summary>
internal sealed class RandomChoiceAlgorithm(RandomSettings settings) : RandomAlgorithm(settings)
{
    public override void Next(ref TelemetryValue value, ref DeviceRandom random)
    {
        var choices = Settings.Choices;
        JsonValues.Assign(ref value, in choices[random.NextInt(choices.Length)]);
    }
}
