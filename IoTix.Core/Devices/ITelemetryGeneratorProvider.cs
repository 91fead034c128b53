using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using IoTix.Core.Generators;
using IoTix.Core.Models;

namespace IoTix.Core.Devices;

/// <summary>
/// The seam between the engine and the telemetry generators: creates the generator of one
/// telemetry item of one device. The generators feature plugs its factory in here (per-model
/// preparation cached by the implementation, per-device creation); the engine ships a small
/// default that handles <c>constant</c> and <c>sequence</c> only.
/// </summary>
public interface ITelemetryGeneratorProvider
{
    /// <summary>
    /// Creates the generator of item <c>context.Stream</c> (its position in <c>model.Telemetry</c>)
    /// for the device described by <paramref name="context"/>. Called off the scheduler loop when
    /// devices are created. Failures are values.
    /// </summary>
    bool TryCreate(DeviceModel model, in GeneratorContext context, [NotNullWhen(true)] out TelemetryGenerator? generator, out string? error);
}

/// <summary>
/// The seam between the engine and the payload writer: writes one telemetry message (the due
/// items of one device) into a pooled buffer. Called on the scheduler loop for every message:
/// implementations must not allocate or block.
/// </summary>
public interface ITelemetryPayloadEncoder
{
    void Write(IBufferWriter<byte> destination, in TelemetryPayload payload);
}

/// <summary>One telemetry message to encode: the device, its values and which of them are due.</summary>
public readonly ref struct TelemetryPayload
{
    public TelemetryPayload(DeviceModel model, string deviceId, ReadOnlySpan<TelemetryValue> values, ReadOnlySpan<int> dueItems, DateTimeOffset timestamp)
    {
        Model = model;
        DeviceId = deviceId;
        Values = values;
        DueItems = dueItems;
        Timestamp = timestamp;
    }

    public DeviceModel Model { get; }

    public string DeviceId { get; }

    /// <summary>All current values of the device, indexed like <c>Model.Telemetry</c>.</summary>
    public ReadOnlySpan<TelemetryValue> Values { get; }

    /// <summary>Indexes of the items this message carries (due now and sharing the message's topic).</summary>
    public ReadOnlySpan<int> DueItems { get; }

    public DateTimeOffset Timestamp { get; }
}
