using IoTix.Core.Models;

namespace IoTix.Core.Generators;

/// <summary>Immutable settings of one <c>sequence</c> item.</summary>
internal sealed class SequenceSettings
{
    public double Start;
    public double Step;
    public double Min;
    public double Max;
    public bool Wrap;
    public bool Integer;

    /// <summary>Decimals of start, step and bounds: values are rounded to these so 0.1 steps print as 40.3, not 40.300000000000004.</summary>
    public int Decimals;
}

internal sealed class SequencePreparation(SequenceSettings settings) : ItemPreparation
{
    public override TelemetryGenerator Create(in GeneratorContext context) => new SequenceGenerator(settings);

    public static SequencePreparation? TryCreate(TelemetryDefinition telemetry, List<GeneratorIssue> issues)
    {
        var g = telemetry.Generator;
        if (telemetry.Type is not (TelemetryDataType.Number or TelemetryDataType.Integer))
        {
            issues.Add(new("generator.type", "sequence applies to number and integer items only"));
            return null;
        }

        if (g.Min > g.Max)
        {
            issues.Add(new("generator.min", "min must not be greater than max", Generic: true));
            return null;
        }

        var s = new SequenceSettings
        {
            Step = g.Step ?? 1,
            Min = g.Min ?? double.NegativeInfinity,
            Max = g.Max ?? double.PositiveInfinity,
            Wrap = g.Wrap ?? false,
            Integer = telemetry.Type == TelemetryDataType.Integer,
        };
        s.Start = g.Start ?? (s.Step >= 0 ? g.Min : g.Max) ?? 0;
        if (!double.IsFinite(s.Step))
        {
            issues.Add(new("generator.step", "step must be a finite number"));
            return null;
        }

        if (s.Start < s.Min || s.Start > s.Max)
        {
            issues.Add(new("generator.start", $"start {s.Start} lies outside min..max"));
            return null;
        }

        if (s.Wrap && (double.IsInfinity(s.Min) || double.IsInfinity(s.Max)))
        {
            issues.Add(new("generator.wrap", "wrap needs both min and max"));
            return null;
        }

        s.Decimals = Math.Max(
            Math.Max(GeneratorMath.Decimals(s.Start), GeneratorMath.Decimals(s.Step)),
            Math.Max(GeneratorMath.Decimals(s.Min), GeneratorMath.Decimals(s.Max)));
        return new SequencePreparation(s);
    }
}

/// <summary>
/// start, start+step, ... When a value would pass max (step &gt; 0) or min (step &lt; 0) it wraps to
/// the other bound when <c>wrap</c> is true, otherwise it stays at the bound.
/// </summary>
internal sealed class SequenceGenerator(SequenceSettings settings) : TelemetryGenerator
{
    private double _current = double.NaN;

    public override void Next(ref TelemetryValue value, long nowMs)
    {
        var s = settings;
        double x;
        if (double.IsNaN(_current))
        {
            x = s.Start;
        }
        else
        {
            x = Math.Round(_current + s.Step, s.Decimals);
            if (x > s.Max)
            {
                x = s.Wrap ? s.Min : s.Max;
            }
            else if (x < s.Min)
            {
                x = s.Wrap ? s.Max : s.Min;
            }
        }

        _current = x;
        value.Number = s.Integer ? GeneratorMath.RoundInteger(x) : x;
        value.HasValue = true;
    }
}
