using System.Diagnostics.CodeAnalysis;
using IoTix.Core.Models;

namespace IoTix.Core.Generators;

/// <summary>
/// Optional extension of <see cref="ICustomGeneratorHandler"/> for handlers with per-model work
/// (parsing a config, compiling a script): <see cref="TryPrepare"/> runs once per model item, and
/// the result creates each device's generator cheaply. Handlers without it are called through
/// <see cref="ICustomGeneratorHandler.Create"/> for every device.
/// </summary>
public interface IPreparingCustomGeneratorHandler : ICustomGeneratorHandler
{
    /// <summary>Does the per-model work for <paramref name="telemetry"/>; false with an error message when the definition is unusable.</summary>
    bool TryPrepare(
        TelemetryDefinition telemetry,
        string? modelDirectory,
        [NotNullWhen(true)] out PreparedCustomGenerator? prepared,
        [NotNullWhen(false)] out string? error);
}

/// <summary>A custom handler's per-model preparation of one telemetry item; immutable and shared by all devices.</summary>
public abstract class PreparedCustomGenerator
{
    /// <summary>Creates the generator of one device (cheap: no parsing, no I/O).</summary>
    public abstract TelemetryGenerator Create(in GeneratorContext context);
}
