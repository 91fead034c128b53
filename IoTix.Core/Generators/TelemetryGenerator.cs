using IoTix.Core.Models;

namespace IoTix.Core.Generators;

/// <summary>
/// Produces the values of one telemetry item for one device. One instance per device and item,
/// holding that pair's state (random source, sequence position, replay cursor). Called on the
/// scheduler's thread; must not allocate on the steady path.
/// </summary>
public abstract class TelemetryGenerator
{
    /// <summary>Writes the next value into <paramref name="value"/> (type already set by the caller).</summary>
    /// <param name="nowMs">Milliseconds since the device started, from the scheduler's clock.</param>
    public abstract void Next(ref TelemetryValue value, long nowMs);

    /// <summary>
    /// The delay in milliseconds until this generator's next value, overriding the item's
    /// <c>intervalMs</c>; read after <see cref="Next"/>. Null (the default): use <c>intervalMs</c>.
    /// Timestamped replay uses it to keep the recorded spacing between rows.
    /// </summary>
    public virtual int? NextIntervalMs => null;
}

/// <summary>What a generator factory knows of the device it creates a generator for.</summary>
/// <param name="DeviceId">The device's id.</param>
/// <param name="Index">The device's index in its group (0-based).</param>
/// <param name="RunSeed">The run seed; combine with the id through <see cref="DeviceRandom.For"/>.</param>
/// <param name="Stream">The telemetry item's position in the model, to keep items' random streams apart.</param>
/// <param name="ModelDirectory">Folder of the model file, for relative data files (null for models not from files).</param>
public readonly record struct GeneratorContext(string DeviceId, int Index, ulong RunSeed, int Stream, string? ModelDirectory);

/// <summary>A custom generator handler (<c>"type": "custom", "handler": "name"</c>): the plugin interface.</summary>
public interface ICustomGeneratorHandler
{
    /// <summary>Name models use in <c>handler</c>, e.g. <c>ecg_generator</c>.</summary>
    string Name { get; }

    /// <summary>Checks a definition without creating anything; returns error messages (empty when valid).</summary>
    IReadOnlyList<string> Validate(TelemetryDefinition telemetry);

    TelemetryGenerator Create(TelemetryDefinition telemetry, in GeneratorContext context);
}
