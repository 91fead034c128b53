using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using IoTix.Core.Generators;
using IoTix.Core.Models;

namespace IoTix.Core.Devices;

/// <summary>
/// Stand-in generator provider until the generators feature's factory is registered: <c>constant</c>
/// and <c>sequence</c> generators; every other type is refused with a clear error.
/// </summary>
internal sealed class BasicTelemetryGeneratorProvider : ITelemetryGeneratorProvider
{
    public bool TryCreate(DeviceModel model, in GeneratorContext context, [NotNullWhen(true)] out TelemetryGenerator? generator, out string? error)
    {
        var item = model.Telemetry[context.Stream];
        var g = item.Generator;
        error = null;
        switch (g.Type)
        {
            case "constant":
                generator = new ConstantGenerator(g.Value is { } v ? v.Clone() : default);
                return true;
            case "sequence":
                generator = new SequenceGenerator(g.Start ?? g.Min ?? 0, g.Step ?? 1, g.Min, g.Max, g.Wrap ?? false);
                return true;
            default:
                generator = null;
                error = $"generator type '{g.Type}' of telemetry item '{item.Name}' is not available (no generator provider registered for it)";
                return false;
        }
    }

    private sealed class ConstantGenerator(JsonElement value) : TelemetryGenerator
    {
        public override void Next(ref TelemetryValue v, long nowMs)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.Number: v.Number = value.GetDouble(); break;
                case JsonValueKind.True: v.Boolean = true; v.Number = 1; break;
                case JsonValueKind.False: v.Boolean = false; v.Number = 0; break;
                case JsonValueKind.String: v.Text ??= value.GetString(); break;
            }

            v.HasValue = true;
        }
    }

    private sealed class SequenceGenerator(double first, double step, double? min, double? max, bool wrap) : TelemetryGenerator
    {
        private readonly double _start = first;
        private double _next = first;

        public override void Next(ref TelemetryValue v, long nowMs)
        {
            v.Number = _next;
            v.HasValue = true;
            _next += step;
            if (max is { } hi && _next > hi)
            {
                _next = wrap ? min ?? _start : hi;
            }
            else if (min is { } lo && _next < lo)
            {
                _next = wrap ? max ?? _start : lo;
            }
        }
    }
}

/// <summary>
/// Stand-in payload encoder until the payload writer is registered: one JSON object with
/// <c>deviceId</c>, <c>timestamp</c> and the due items (per <see cref="PayloadSettings"/>), or the
/// raw bytes of the first due binary item for <c>binary</c> payloads. Reuses one
/// <see cref="Utf8JsonWriter"/>: loop thread only, allocation-free.
/// </summary>
internal sealed class JsonTelemetryPayloadEncoder : ITelemetryPayloadEncoder
{
    private readonly Utf8JsonWriter _writer = new(new ArrayBufferWriter<byte>(1), new JsonWriterOptions { SkipValidation = true });

    public void Write(IBufferWriter<byte> destination, in TelemetryPayload payload)
    {
        var settings = payload.Model.Payload;
        if (settings.Format == PayloadFormat.Binary)
        {
            foreach (int i in payload.DueItems)
            {
                if (payload.Values[i].Type == TelemetryDataType.Binary)
                {
                    var bytes = payload.Values[i].BinarySpan;
                    bytes.CopyTo(destination.GetSpan(bytes.Length));
                    destination.Advance(bytes.Length);
                    return;
                }
            }
        }

        var w = _writer;
        w.Reset(destination);
        w.WriteStartObject();
        if (settings.IncludeDeviceId)
        {
            w.WriteString("deviceId"u8, payload.DeviceId);
        }

        if (settings.IncludeTimestamp)
        {
            w.WriteString("timestamp"u8, payload.Timestamp);
        }

        var items = payload.Model.Telemetry;
        foreach (int i in payload.DueItems)
        {
            ref readonly var v = ref payload.Values[i];
            w.WritePropertyName(items[i].Name);
            if (!v.HasValue)
            {
                w.WriteNullValue();
                continue;
            }

            switch (v.Type)
            {
                case TelemetryDataType.Integer: w.WriteNumberValue((long)Math.Round(v.Number)); break;
                case TelemetryDataType.Boolean: w.WriteBooleanValue(v.Boolean); break;
                case TelemetryDataType.String: w.WriteStringValue(v.Text); break;
                case TelemetryDataType.Binary: w.WriteBase64StringValue(v.BinarySpan); break;
                default:
                    if (double.IsFinite(v.Number))
                    {
                        w.WriteNumberValue(v.Number);
                    }
                    else
                    {
                        w.WriteNullValue();
                    }

                    break;
            }
        }

        w.WriteEndObject();
        w.Flush();
    }
}
