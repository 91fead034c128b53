using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using IoTix.Core.Models;

namespace IoTix.Core.Generators;

/// <summary>Converts model JSON (constant values, random choices) into telemetry values, once per model.</summary>
internal static class JsonValues
{
    public static bool TryConvert(JsonElement element, TelemetryDataType type, out TelemetryValue value, [NotNullWhen(false)] out string? error)
    {
        value = new TelemetryValue { Type = type, HasValue = true };
        error = null;
        switch (type)
        {
            case TelemetryDataType.Number:
            case TelemetryDataType.Integer:
                if (element.ValueKind != JsonValueKind.Number || !element.TryGetDouble(out double d))
                {
                    error = $"expected a number for a {Name(type)} item, found {Describe(element)}";
                    return false;
                }

                if (type == TelemetryDataType.Integer && d != Math.Floor(d))
                {
                    error = $"expected a whole number for an integer item, found {d.ToString(CultureInfo.InvariantCulture)}";
                    return false;
                }

                value.Number = d;
                return true;
            case TelemetryDataType.Boolean:
                if (element.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    error = $"expected true or false for a boolean item, found {Describe(element)}";
                    return false;
                }

                value.Boolean = element.GetBoolean();
                return true;
            case TelemetryDataType.String:
                if (element.ValueKind is JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Null or JsonValueKind.Undefined)
                {
                    error = $"expected a string for a string item, found {Describe(element)}";
                    return false;
                }

                value.Text = string.Intern(element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText());
                return true;
            default:
                return TryConvertBinary(element, ref value, out error);
        }
    }

    /// <summary>Binary values: a base64 string, or an array of byte values 0..255.</summary>
    private static bool TryConvertBinary(JsonElement element, ref TelemetryValue value, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (element.ValueKind == JsonValueKind.String)
        {
            if (!element.TryGetBytesFromBase64(out byte[]? bytes))
            {
                error = "expected base64 text for a binary item";
                return false;
            }

            value.Binary = bytes;
            value.BinaryLength = bytes.Length;
            return true;
        }

        if (element.ValueKind == JsonValueKind.Array)
        {
            var bytes = new byte[element.GetArrayLength()];
            int i = 0;
            foreach (var item in element.EnumerateArray())
            {
                if (!item.TryGetByte(out bytes[i]))
                {
                    error = $"element {i} of a binary array is not a byte value 0..255";
                    return false;
                }

                i++;
            }

            value.Binary = bytes;
            value.BinaryLength = bytes.Length;
            return true;
        }

        error = $"expected base64 text or an array of bytes for a binary item, found {Describe(element)}";
        return false;
    }

    /// <summary>Copies a prepared value into a device's value (the type is the caller's).</summary>
    public static void Assign(ref TelemetryValue value, in TelemetryValue source)
    {
        value.Number = source.Number;
        value.Boolean = source.Boolean;
        value.Text = source.Text;
        value.Binary = source.Binary;
        value.BinaryLength = source.BinaryLength;
        value.HasValue = true;
    }

    private static string Name(TelemetryDataType type) => type == TelemetryDataType.Integer ? "integer" : "number";

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };
}
