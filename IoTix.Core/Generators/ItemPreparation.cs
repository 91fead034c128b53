using IoTix.Core.Models;

namespace IoTix.Core.Generators;

/// <summary>The per-model work for one telemetry item, done once; creates each device's generator.</summary>
internal abstract class ItemPreparation
{
    public abstract TelemetryGenerator Create(in GeneratorContext context);

    /// <summary>
    /// Non-null when the item needs no generator object per device: one shared instance serves
    /// every device, given the device's own random source for the item (seeded like
    /// <see cref="Create"/> seeds it, so the values are the same). Such items never set
    /// <see cref="TelemetryGenerator.NextIntervalMs"/>.
    /// </summary>
    internal virtual SharedItemGenerator? Shared => null;
}

/// <summary>
/// A generator whose only per-device state is a <see cref="DeviceRandom"/> (or none): one instance
/// per model item, the state kept by the caller (the engine stores it inline in the device).
/// </summary>
internal abstract class SharedItemGenerator
{
    /// <summary>False when <see cref="Next"/> never draws from the random source (constants).</summary>
    public virtual bool UsesRandom => true;

    public abstract void Next(ref TelemetryValue value, ref DeviceRandom random);
}

/// <summary>A problem with a generator definition. <paramref name="Field"/> is relative to the telemetry item (e.g. <c>generator.min</c>).</summary>
/// <param name="Generic">True for checks the model validator owns (unknown type, min &gt; max, missing file), which the generator check does not repeat.</param>
internal readonly record struct GeneratorIssue(string Field, string Message, bool Generic = false);

/// <summary>Stands in for an item whose definition failed to prepare: never writes a value.</summary>
internal sealed class InertGenerator : TelemetryGenerator
{
    public static readonly InertGenerator Instance = new();

    public override void Next(ref TelemetryValue value, long nowMs)
    {
    }
}

internal sealed class InertPreparation : ItemPreparation
{
    public static readonly InertPreparation Instance = new();

    public override TelemetryGenerator Create(in GeneratorContext context) => InertGenerator.Instance;
}

/// <summary>A custom handler with per-model preparation.</summary>
internal sealed class PreparedCustomItem(PreparedCustomGenerator prepared) : ItemPreparation
{
    public override TelemetryGenerator Create(in GeneratorContext context) => prepared.Create(context);
}

/// <summary>A custom handler without preparation: its Create runs for every device.</summary>
internal sealed class PerDeviceCustomItem(ICustomGeneratorHandler handler, TelemetryDefinition telemetry) : ItemPreparation
{
    public override TelemetryGenerator Create(in GeneratorContext context) => handler.Create(telemetry, context);
}

internal static class GeneratorMath
{
    /// <summary>Rounds to a whole number, halves away from zero.</summary>
    public static double RoundInteger(double x) => Math.Round(x, MidpointRounding.AwayFromZero);

    /// <summary>Standard normal draw (Box-Muller, one of the pair), no allocation.</summary>
    public static double StandardNormal(ref DeviceRandom random)
    {
        double u1 = 1.0 - random.NextDouble(); // (0, 1]
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Digits after the decimal point needed to print <paramref name="x"/> exactly (0..15).</summary>
    public static int Decimals(double x)
    {
        if (!double.IsFinite(x))
        {
            return 0;
        }

        for (int d = 0; d < 15; d++)
        {
            if (Math.Round(x, d) == x)
            {
                return d;
            }
        }

        return 15;
    }
}
