using System.Globalization;
using System.Text;
using System.Text.Json;

namespace IoTix.Broker.Rules;

internal enum RuleValueKind : byte
{
    /// <summary>A path that leads nowhere (no such field, no such topic level, payload not JSON).</summary>
    Missing,
    Null,
    Boolean,
    Number,

    /// <summary>Text as a slice of a string (topic levels share the topic string).</summary>
    Text,

    /// <summary>A JSON string, object or array of the payload, read lazily.</summary>
    Json,
}

/// <summary>A value of the rule expression language; a struct, so evaluating allocates only where text is built.</summary>
internal readonly struct RuleValue
{
    public static readonly RuleValue Missing = default;
    public static readonly RuleValue Null = new(RuleValueKind.Null, 0, null, 0, 0, default);
    public static readonly RuleValue True = new(RuleValueKind.Boolean, 1, null, 0, 0, default);
    public static readonly RuleValue False = new(RuleValueKind.Boolean, 0, null, 0, 0, default);

    public readonly RuleValueKind Kind;
    public readonly double Number;
    private readonly string? _text;
    private readonly int _start;
    private readonly int _length;
    public readonly JsonElement Element;

    private RuleValue(RuleValueKind kind, double number, string? text, int start, int length, JsonElement element)
    {
        Kind = kind;
        Number = number;
        _text = text;
        _start = start;
        _length = length;
        Element = element;
    }

    public static RuleValue Of(double number) => double.IsNaN(number) || double.IsInfinity(number) ? Missing : new(RuleValueKind.Number, number, null, 0, 0, default);

    public static RuleValue Of(bool value) => value ? True : False;

    public static RuleValue Of(string? text) => text is null ? Null : new(RuleValueKind.Text, 0, text, 0, text.Length, default);

    public static RuleValue Slice(string text, int start, int length) => new(RuleValueKind.Text, 0, text, start, length, default);

    public static RuleValue From(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Number => Of(element.GetDouble()),
        JsonValueKind.True => True,
        JsonValueKind.False => False,
        JsonValueKind.Null => Null,
        JsonValueKind.Undefined => Missing,
        _ => new(RuleValueKind.Json, 0, null, 0, 0, element),
    };

    public bool IsMissingOrNull => Kind is RuleValueKind.Missing or RuleValueKind.Null;

    /// <summary>A JSON string of the payload, or text.</summary>
    public bool IsString => Kind == RuleValueKind.Text || (Kind == RuleValueKind.Json && Element.ValueKind == JsonValueKind.String);

    public ReadOnlySpan<char> TextSpan => _text.AsSpan(_start, _length);

    public bool IsTruthy => Kind switch
    {
        RuleValueKind.Boolean or RuleValueKind.Number => Number != 0,
        RuleValueKind.Text => _length > 0,
        RuleValueKind.Json => Element.ValueKind != JsonValueKind.String || Element.GetString()!.Length > 0,
        _ => false,
    };

    /// <summary>The value as a number: numbers, booleans (1/0) and text that parses as a number.</summary>
    public bool TryGetNumber(out double number)
    {
        switch (Kind)
        {
            case RuleValueKind.Number:
            case RuleValueKind.Boolean:
                number = Number;
                return true;
            case RuleValueKind.Text:
                return double.TryParse(TextSpan, NumberStyles.Float, CultureInfo.InvariantCulture, out number);
            case RuleValueKind.Json when Element.ValueKind == JsonValueKind.String:
                return double.TryParse(Element.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number);
            default:
                number = 0;
                return false;
        }
    }

    /// <summary>The value as a string (allocates for slices and JSON); null when missing or null.</summary>
    public string? AsString()
    {
        switch (Kind)
        {
            case RuleValueKind.Text:
                return _start == 0 && _length == _text!.Length ? _text : _text!.Substring(_start, _length);
            case RuleValueKind.Json:
                return Element.ValueKind == JsonValueKind.String ? Element.GetString() : Element.GetRawText();
            case RuleValueKind.Number:
                return Number.ToString("R", CultureInfo.InvariantCulture);
            case RuleValueKind.Boolean:
                return Number != 0 ? "true" : "false";
            default:
                return null;
        }
    }

    /// <summary>Appends the value as text: strings as they are, numbers invariant, objects and arrays as JSON, nothing for missing/null.</summary>
    public void AppendTo(StringBuilder builder)
    {
        switch (Kind)
        {
            case RuleValueKind.Text:
                builder.Append(TextSpan);
                break;
            case RuleValueKind.Number:
                builder.Append(Number.ToString("R", CultureInfo.InvariantCulture));
                break;
            case RuleValueKind.Boolean:
                builder.Append(Number != 0 ? "true" : "false");
                break;
            case RuleValueKind.Json:
                builder.Append(Element.ValueKind == JsonValueKind.String ? Element.GetString() : Element.GetRawText());
                break;
        }
    }

    /// <summary>Writes the value as JSON (strings quoted and escaped; missing as null).</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        switch (Kind)
        {
            case RuleValueKind.Text:
                writer.WriteStringValue(TextSpan);
                break;
            case RuleValueKind.Number:
                writer.WriteNumberValue(Number);
                break;
            case RuleValueKind.Boolean:
                writer.WriteBooleanValue(Number != 0);
                break;
            case RuleValueKind.Json:
                Element.WriteTo(writer);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    /// <summary>Equality: missing equals null; numbers numerically (text that parses as a number too); strings ordinally.</summary>
    public static bool AreEqual(in RuleValue left, in RuleValue right)
    {
        if (left.IsMissingOrNull || right.IsMissingOrNull)
        {
            return left.IsMissingOrNull && right.IsMissingOrNull;
        }

        if (left.IsString && right.IsString)
        {
            return StringEquals(left, right);
        }

        if (left.Kind == RuleValueKind.Json || right.Kind == RuleValueKind.Json)
        {
            // An object or array against anything else: equal only as the same JSON text.
            return left.Kind == right.Kind && string.Equals(left.Element.GetRawText(), right.Element.GetRawText(), StringComparison.Ordinal);
        }

        return left.TryGetNumber(out var a) && right.TryGetNumber(out var b) && a == b;
    }

    /// <summary>Ordering: numbers (and numeric text) numerically, strings ordinally; anything else is unordered (null).</summary>
    public static int? Compare(in RuleValue left, in RuleValue right)
    {
        if (left.IsMissingOrNull || right.IsMissingOrNull)
        {
            return null;
        }

        if (left.IsString && right.IsString)
        {
            return string.CompareOrdinal(left.AsString(), right.AsString());
        }

        if (left.TryGetNumber(out var a) && right.TryGetNumber(out var b))
        {
            return a.CompareTo(b);
        }

        return null;
    }

    private static bool StringEquals(in RuleValue left, in RuleValue right)
    {
        if (left.Kind == RuleValueKind.Text && right.Kind == RuleValueKind.Text)
        {
            return left.TextSpan.SequenceEqual(right.TextSpan);
        }

        if (left.Kind == RuleValueKind.Json && right.Kind == RuleValueKind.Text)
        {
            return left.Element.ValueEquals(right.TextSpan);
        }

        if (right.Kind == RuleValueKind.Json && left.Kind == RuleValueKind.Text)
        {
            return right.Element.ValueEquals(left.TextSpan);
        }

        return string.Equals(left.Element.GetString(), right.Element.GetString(), StringComparison.Ordinal);
    }
}
