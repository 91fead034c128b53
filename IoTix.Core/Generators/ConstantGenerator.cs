using IoTix.Core.Models;

namespace IoTix.Core.Generators;

/// <summary>
/// <c>constant</c>: always the same value. Stateless, so one instance serves every device of the
/// model; binary constants share one read-only byte array.
/// </summary>
internal sealed class ConstantGenerator(TelemetryValue constant) : TelemetryGenerator
{
    private readonly TelemetryValue _constant = constant;

    public override void Next(ref TelemetryValue value, long nowMs) => JsonValues.Assign(ref value, in _constant);
}

internal sealed class ConstantPreparation(ConstantGenerator shared) : ItemPreparation
{
    private readonly SharedConstant _shared = new(shared);

    public override TelemetryGenerator Create(in GeneratorContext context) => shared;

    internal override SharedItemGenerator Shared => _shared;

    public static ConstantPreparation? TryCreate(TelemetryDefinition telemetry, List<GeneratorIssue> issues)
    {
        if (telemetry.Generator.Value is not { } element)
        {
            issues.Add(new("generator.value", "constant needs a value"));
            return null;
        }

        if (!JsonValues.TryConvert(element, telemetry.Type, out var value, out string? error))
        {
            issues.Add(new("generator.value", error));
            return null;
        }

        return new ConstantPreparation(new ConstantGenerator(value));
    }
}

/// <summary>The constant as a <see cref="SharedItemGenerator"/> (draws nothing from the random source).</summary>
internal sealed class SharedConstant(ConstantGenerator constant) : SharedItemGenerator
{
    public override bool UsesRandom => false;

    public override void Next(ref TelemetryValue value, ref DeviceRandom random) => constant.Next(ref value, 0);
}
