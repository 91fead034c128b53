using IoTix.Core.Models;

namespace IoTix.Core.Generators;

/// <summary>
/// A model's generators after the per-model work (<see cref="TelemetryGeneratorFactory.Prepare"/>):
/// immutable, shared by every device of the model, thread-safe.
/// </summary>
public sealed class PreparedModelGenerators
{
    private readonly ItemPreparation[] _items;

    internal PreparedModelGenerators(DeviceModel model, ItemPreparation[] items, IReadOnlyList<ModelError> errors)
    {
        Model = model;
        _items = items;
        Errors = errors;
    }

    public DeviceModel Model { get; }

    /// <summary>Items whose generator could not be prepared (path <c>$.telemetry[i].generator...</c>); empty when all are usable.</summary>
    public IReadOnlyList<ModelError> Errors { get; }

    public bool IsValid => Errors.Count == 0;

    /// <summary>Number of telemetry items (same order as <see cref="DeviceModel.Telemetry"/>).</summary>
    public int Count => _items.Length;

    /// <summary>
    /// Creates the generator of item <paramref name="itemIndex"/> for one device. Cheap: allocates
    /// only the per-device object (a random source or a cursor). Use <c>Stream = itemIndex</c> in
    /// <paramref name="context"/> so a device's items draw from independent random streams.
    /// An item listed in <see cref="Errors"/> gets a generator that never produces a value.
    /// </summary>
    public TelemetryGenerator Create(int itemIndex, in GeneratorContext context) => _items[itemIndex].Create(context);

    /// <summary>The item's shared generator when it needs no object per device (random, constant); otherwise null.</summary>
    internal SharedItemGenerator? SharedAt(int itemIndex) => _items[itemIndex].Shared;

    /// <summary>
    /// Creates all generators of one device into <paramref name="destination"/> (length
    /// <see cref="Count"/>), with item i on random stream i.
    /// </summary>
    public void CreateAll(Span<TelemetryGenerator> destination, string deviceId, int deviceIndex, ulong runSeed, string? modelDirectory = null)
    {
        if (destination.Length < _items.Length)
        {
            throw new ArgumentException($"destination holds {destination.Length} generators; the model has {_items.Length} items", nameof(destination));
        }

        for (int i = 0; i < _items.Length; i++)
        {
            destination[i] = _items[i].Create(new GeneratorContext(deviceId, deviceIndex, runSeed, i, modelDirectory));
        }
    }
}
