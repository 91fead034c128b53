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
        SampleBits = new int[n];
        for (int i = 0; i < n; i++)
        {
            var item = model.Telemetry[i];
            Names[i] = JsonEncodedText.Encode(item.Name);
            Types[i] = item.Type;
            Encodings[i] = item.Encoding;
            SampleBits[i] = SampleBitsOf(item);
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

    /// <summary>Binary items in <c>array</c> encoding: 8 (unsigned bytes, the default), or 16/32 (signed little-endian samples, from <c>config.sampleSize</c>).</summary>
    internal int[] SampleBits { get; }

    /// <summary>Encodes a device id once, when the device is created; pass the result to every <see cref="TelemetryPayloadWriter"/> call.</summary>
    public static JsonEncodedText EncodeDeviceId(string deviceId) => JsonEncodedText.Encode(deviceId);

    private static int SampleBitsOf(TelemetryDefinition item)
    {
        if (item.Generator.Config is { ValueKind: JsonValueKind.Object } config
            && config.TryGetProperty("sampleSize", out var size)
            && size.TryGetInt32(out int bits)
            && bits is 16 or 32)
        {
            return bits;
        }

        return 8;
    }
}
