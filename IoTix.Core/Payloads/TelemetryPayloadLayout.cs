using System.Text.Json;
using IoTix.Core.Models;

namespace IoTix.Core.Payloads;

/// <summary>
/// What a model's telemetry messages look like, computed once per model: the pre-encoded JSON
/// property names, each binary item's encoding and the payload settings. Immutable, shared by
/// every device and thread.
/// </summary>
public sealed class TelemetryPayloadLayout
{
    internal static readonly JsonEncodedText DeviceIdName = JsonEncodedText.Encode("deviceId");
    internal static readonly JsonEncodedText TimestampName = JsonEncodedText.Encode("timestamp");

    public TelemetryPayloadLayout(DeviceModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        int n = model.Telemetry.Count;
        Names = new JsonEncodedText[n];
        Types = new TelemetryDataType[n];
        Encodings = new BinaryEncoding[n];
        Samples = new SampleFormat[n];
        for (int i = 0; i < n; i++)
        {
            var item = model.Telemetry[i];
            Names[i] = JsonEncodedText.Encode(item.Name);
            Types[i] = item.Type;
            Encodings[i] = item.Encoding;
            Samples[i] = SampleFormatOf(item);
        }

        Format = model.Payload.Format;
        IncludeTimestamp = model.Payload.IncludeTimestamp;
        IncludeDeviceId = model.Payload.IncludeDeviceId;
    }

    public DeviceModel Model { get; }

    public PayloadFormat Format { get; }

    public bool IncludeTimestamp { get; }

    public bool IncludeDeviceId { get; }

    internal JsonEncodedText[] Names { get; }

    internal TelemetryDataType[] Types { get; }

    internal BinaryEncoding[] Encodings { get; }

    /// <summary>Binary items in <c>array</c> encoding: unsigned bytes (the default), or signed little-endian samples of <c>config.sampleSize</c> bits (8, 16, 32).</summary>
    internal SampleFormat[] Samples { get; }

    /// <summary>Encodes a device id once, when the device is created; pass the result to every <see cref="TelemetryPayloadWriter"/> call.</summary>
    public static JsonEncodedText EncodeDeviceId(string deviceId) => JsonEncodedText.Encode(deviceId);

    private static SampleFormat SampleFormatOf(TelemetryDefinition item)
    {
        if (item.Generator.Config is { ValueKind: JsonValueKind.Object } config
            && config.TryGetProperty("sampleSize", out var size)
            && size.ValueKind == JsonValueKind.Number
            && size.TryGetInt32(out int bits))
        {
            return bits switch
            {
                8 => SampleFormat.Int8,
                16 => SampleFormat.Int16,
                32 => SampleFormat.Int32,
                _ => SampleFormat.Bytes,
            };
        }

        return SampleFormat.Bytes;
    }
}

/// <summary>How a binary item's bytes are split into numbers for the <c>array</c> encoding.</summary>
internal enum SampleFormat
{
    Bytes,
    Int8,
    Int16,
    Int32,
}
