using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using IoTix.Core.Generators;
using IoTix.Core.Models;

namespace IoTix.Core.Payloads;

/// <summary>
/// Serializes one device's telemetry message into a buffer it owns and reuses: no allocation per
/// message once warm. Output is byte-for-byte deterministic for the same inputs. Not thread-safe:
/// use one writer per scheduler thread. The returned memory is valid until the next call.
/// </summary>
/// <remarks>
/// JSON messages are <c>{"deviceId":"...","timestamp":"2026-01-02T03:04:05.678Z","name":value,...}</c>
/// (device id and timestamp per <see cref="PayloadSettings"/>; items without a value yet are
/// left out). Numbers are written shortest-round-trip, integers as whole numbers, non-finite
/// numbers as <c>null</c>; binary items as base64 text, or with <c>"encoding": "array"</c> as a
/// number array (unsigned bytes, or signed 8/16/32-bit little-endian samples when the generator's
/// <c>config.sampleSize</c> says so). With <c>payload.format = binary</c> the raw bytes of the first binary item in the
/// selection are the whole message; a selection without a binary value is written as JSON.
/// </remarks>
public sealed class TelemetryPayloadWriter
{
    private readonly ArrayBufferWriter<byte> _buffer;
    private readonly Utf8JsonWriter _json;

    public TelemetryPayloadWriter(int initialCapacity = 1024)
    {
        _buffer = new ArrayBufferWriter<byte>(initialCapacity);
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Indented = false, SkipValidation = true });
    }

    /// <summary>Writes a message with every item of the model that has a value.</summary>
    /// <param name="deviceId">From <see cref="TelemetryPayloadLayout.EncodeDeviceId"/>, encoded once per device.</param>
    /// <param name="values">The device's current values, indexed like the model's telemetry.</param>
    /// <param name="unixTimeMs">The message time, from the caller's clock (Unix milliseconds, UTC).</param>
    public ReadOnlyMemory<byte> WriteAll(TelemetryPayloadLayout layout, JsonEncodedText deviceId, ReadOnlySpan<TelemetryValue> values, long unixTimeMs)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (layout.Format == PayloadFormat.Binary)
        {
            for (int i = 0; i < values.Length; i++)
            {
                if (IsBinaryValue(layout, values, i))
                {
                    return values[i].Binary.AsMemory(0, values[i].BinaryLength);
                }
            }
        }

        Begin(layout, deviceId, unixTimeMs);
        for (int i = 0; i < values.Length; i++)
        {
            WriteItem(layout, i, in values[i]);
        }

        return End();
    }

    /// <summary>Writes a message with the selected items only (e.g. those due at this tick).</summary>
    /// <param name="items">Indexes into the model's telemetry of the items to include, in output order.</param>
    public ReadOnlyMemory<byte> Write(TelemetryPayloadLayout layout, JsonEncodedText deviceId, ReadOnlySpan<TelemetryValue> values, ReadOnlySpan<int> items, long unixTimeMs)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (layout.Format == PayloadFormat.Binary)
        {
            foreach (int i in items)
            {
                if (IsBinaryValue(layout, values, i))
                {
                    return values[i].Binary.AsMemory(0, values[i].BinaryLength);
                }
            }
        }

        Begin(layout, deviceId, unixTimeMs);
        foreach (int i in items)
        {
            WriteItem(layout, i, in values[i]);
        }

        return End();
    }

    /// <summary>
    /// Writes a message with the selected items, the device id given as its string (escaped as
    /// <see cref="TelemetryPayloadLayout.EncodeDeviceId"/> would): the engine's path, so a device
    /// needs no encoded copy of its id.
    /// </summary>
    internal ReadOnlyMemory<byte> Write(TelemetryPayloadLayout layout, string deviceId, ReadOnlySpan<TelemetryValue> values, ReadOnlySpan<int> items, long unixTimeMs)
    {
        if (layout.Format == PayloadFormat.Binary)
        {
            foreach (int i in items)
            {
                if (IsBinaryValue(layout, values, i))
                {
                    return values[i].Binary.AsMemory(0, values[i].BinaryLength);
                }
            }
        }

        Begin(layout, default, deviceId, unixTimeMs);
        foreach (int i in items)
        {
            WriteItem(layout, i, in values[i]);
        }

        return End();
    }

    /// <summary>Writes a message with the selected items at <paramref name="timestamp"/>.</summary>
    public ReadOnlyMemory<byte> Write(TelemetryPayloadLayout layout, JsonEncodedText deviceId, ReadOnlySpan<TelemetryValue> values, ReadOnlySpan<int> items, DateTimeOffset timestamp) =>
        Write(layout, deviceId, values, items, timestamp.ToUnixTimeMilliseconds());

    private static bool IsBinaryValue(TelemetryPayloadLayout layout, ReadOnlySpan<TelemetryValue> values, int i) =>
        layout.Types[i] == TelemetryDataType.Binary && values[i].HasValue && values[i].Binary is not null;

    private void Begin(TelemetryPayloadLayout layout, JsonEncodedText deviceId, long unixTimeMs) =>
        Begin(layout, deviceId, null, unixTimeMs);

    private void Begin(TelemetryPayloadLayout layout, JsonEncodedText encodedId, string? deviceId, long unixTimeMs)
    {
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
        _json.WriteStartObject();
        if (layout.IncludeDeviceId)
        {
            if (deviceId is null)
            {
                _json.WriteString(TelemetryPayloadLayout.DeviceIdName, encodedId);
            }
            else
            {
                _json.WriteString(TelemetryPayloadLayout.DeviceIdName, deviceId);
            }
        }

        if (layout.IncludeTimestamp)
        {
            Span<byte> text = stackalloc byte[24];
            FormatTimestamp(unixTimeMs, text);
            _json.WriteString(TelemetryPayloadLayout.TimestampName, text);
        }
    }

    private ReadOnlyMemory<byte> End()
    {
        _json.WriteEndObject();
        _json.Flush();
        return _buffer.WrittenMemory;
    }

    private void WriteItem(TelemetryPayloadLayout layout, int i, in TelemetryValue value)
    {
        if (!value.HasValue)
        {
            return;
        }

        var name = layout.Names[i];
        switch (layout.Types[i])
        {
            case TelemetryDataType.Number:
                if (double.IsFinite(value.Number))
                {
                    _json.WriteNumber(name, value.Number);
                }
                else
                {
                    _json.WriteNull(name);
                }

                break;
            case TelemetryDataType.Integer:
                if (double.IsFinite(value.Number))
                {
                    _json.WriteNumber(name, (long)value.Number);
                }
                else
                {
                    _json.WriteNull(name);
                }

                break;
            case TelemetryDataType.Boolean:
                _json.WriteBoolean(name, value.Boolean);
                break;
            case TelemetryDataType.String:
                if (value.Text is null)
                {
                    _json.WriteNull(name);
                }
                else
                {
                    _json.WriteString(name, value.Text);
                }

                break;
            default:
                WriteBinary(name, layout.Encodings[i], layout.Samples[i], value.BinarySpan);
                break;
        }
    }

    private void WriteBinary(JsonEncodedText name, BinaryEncoding encoding, SampleFormat samples, ReadOnlySpan<byte> bytes)
    {
        if (encoding == BinaryEncoding.Base64)
        {
            _json.WriteBase64String(name, bytes);
            return;
        }

        _json.WriteStartArray(name);
        switch (samples)
        {
            case SampleFormat.Int8:
                foreach (byte b in bytes)
                {
                    _json.WriteNumberValue((sbyte)b);
                }

                break;
            case SampleFormat.Int16:
                for (int i = 0; i + 1 < bytes.Length; i += 2)
                {
                    _json.WriteNumberValue(BinaryPrimitives.ReadInt16LittleEndian(bytes[i..]));
                }

                break;
            case SampleFormat.Int32:
                for (int i = 0; i + 3 < bytes.Length; i += 4)
                {
                    _json.WriteNumberValue(BinaryPrimitives.ReadInt32LittleEndian(bytes[i..]));
                }

                break;
            default:
                foreach (byte b in bytes)
                {
                    _json.WriteNumberValue(b);
                }

                break;
        }

        _json.WriteEndArray();
    }

    /// <summary>Writes <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> (24 ASCII bytes) for a Unix time in milliseconds.</summary>
    internal static void FormatTimestamp(long unixTimeMs, Span<byte> destination)
    {
        var time = DateTime.UnixEpoch.AddMilliseconds(unixTimeMs);
        Digits(destination[..4], time.Year);
        destination[4] = (byte)'-';
        Digits(destination.Slice(5, 2), time.Month);
        destination[7] = (byte)'-';
        Digits(destination.Slice(8, 2), time.Day);
        destination[10] = (byte)'T';
        Digits(destination.Slice(11, 2), time.Hour);
        destination[13] = (byte)':';
        Digits(destination.Slice(14, 2), time.Minute);
        destination[16] = (byte)':';
        Digits(destination.Slice(17, 2), time.Second);
        destination[19] = (byte)'.';
        Digits(destination.Slice(20, 3), time.Millisecond);
        destination[23] = (byte)'Z';
    }

    private static void Digits(Span<byte> destination, int value)
    {
        for (int i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }
}
