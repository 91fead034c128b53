using IoTix.Core.Models;

namespace IoTix.Core.Generators;

/// <summary>
/// The current value of one telemetry item of one device. A mutable struct held in the device's
/// value array and overwritten in place by its generator, so generating a value allocates nothing.
/// </summary>
public struct TelemetryValue
{
    public TelemetryDataType Type;

    /// <summary>Value of <c>number</c> items, and of <c>integer</c> items as a whole number.</summary>
    public double Number;

    public bool Boolean;

    /// <summary>Value of <c>string</c> items (generators reuse interned or cached strings).</summary>
    public string? Text;

    /// <summary>Buffer of <c>binary</c> items, owned by the generator and reused between values.</summary>
    public byte[]? Binary;

    /// <summary>Bytes of <see cref="Binary"/> in use.</summary>
    public int BinaryLength;

    /// <summary>False until the generator has produced a first value.</summary>
    public bool HasValue;

    public readonly ReadOnlySpan<byte> BinarySpan => Binary is null ? default : Binary.AsSpan(0, BinaryLength);

    /// <summary>The value as a number for conditions: numbers as is, booleans 1/0, others NaN.</summary>
    public readonly double AsDouble() => Type switch
    {
        TelemetryDataType.Number or TelemetryDataType.Integer => Number,
        TelemetryDataType.Boolean => Boolean ? 1 : 0,
        _ => double.NaN,
    };
}
