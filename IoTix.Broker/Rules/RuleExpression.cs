using System.Globalization;
using System.Text;
using System.Text.Json;
using IoTix.Broker.Security;

namespace IoTix.Broker.Rules;

/// <summary>
/// An expression of the rule language (conditions, template parts, InfluxDB tags and fields), parsed once into a tree
/// whose paths are already split, so evaluating walks the payload's JSON without allocating. The grammar and the
/// functions are documented in docs/broker.md#condition-language.
/// </summary>
internal sealed class RuleExpression
{
    private readonly RuleNode _root;

    private RuleExpression(string source, RuleNode root)
    {
        Source = source;
        _root = root;
    }

    public string Source { get; }

    /// <summary>Parses <paramref name="source"/>; an error names the 0-based position it was found at.</summary>
    public static bool TryParse(string source, out RuleExpression? expression, out RuleSyntaxError? error)
    {
        ArgumentNullException.ThrowIfNull(source);
        var parser = new RuleParser(source, 0, source.Length);
        if (parser.TryParseAll(out var root, out error))
        {
            expression = new RuleExpression(source, root!);
            return true;
        }

        expression = null;
        return false;
    }

    internal static bool TryParse(string source, int start, int end, out RuleNode? node, out RuleSyntaxError? error) =>
        new RuleParser(source, start, end).TryParseAll(out node, out error);

    public RuleValue Evaluate(RuleMessage message) => _root.Evaluate(message);

    public bool IsTrue(RuleMessage message) => _root.Evaluate(message).IsTruthy;

    public override string ToString() => Source;
}

/// <summary>A syntax or name error of an expression, at a 0-based position of its text.</summary>
internal sealed record RuleSyntaxError(int Position, string Message)
{
    public override string ToString() => $"at position {Position + 1}: {Message}";
}

internal abstract class RuleNode
{
    public abstract RuleValue Evaluate(RuleMessage message);
}

internal sealed class ConstantNode(RuleValue value) : RuleNode
{
    public override RuleValue Evaluate(RuleMessage message) => value;
}

internal enum MessageField : byte { Topic, ClientId, UserName, Qos, Retain, Timestamp, Rule, PayloadRoot }

internal sealed class MessageFieldNode(MessageField field) : RuleNode
{
    public override RuleValue Evaluate(RuleMessage message) => field switch
    {
        MessageField.Topic => RuleValue.Of(message.Topic),
        MessageField.ClientId => RuleValue.Of(message.ClientId),
        MessageField.UserName => RuleValue.Of(message.UserName),
        MessageField.Qos => RuleValue.Of(message.QualityOfService),
        MessageField.Retain => RuleValue.Of(message.Retain),
        MessageField.Timestamp => RuleValue.Of(message.Timestamp),
        MessageField.Rule => RuleValue.Of(message.RuleId),
        _ => message.Json is { } root ? RuleValue.From(root) : RuleValue.Of(message.PayloadText),
    };
}

internal sealed class TopicLevelNode(int index) : RuleNode
{
    public override RuleValue Evaluate(RuleMessage message) =>
        message.TryGetLevel(index, out var start, out var length) ? RuleValue.Slice(message.Topic, start, length) : RuleValue.Missing;
}

/// <summary>A path into the JSON payload: property names and array indexes, resolved per message without allocating.</summary>
internal sealed class PayloadPathNode(string?[] names, int[] indexes) : RuleNode
{
    public override RuleValue Evaluate(RuleMessage message)
    {
        if (message.Json is not { } element)
        {
            return RuleValue.Missing;
        }

        for (var i = 0; i < names.Length; i++)
        {
            if (names[i] is { } name)
            {
                if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
                {
                    return RuleValue.Missing;
                }
            }
            else
            {
                var index = indexes[i];
                if (element.ValueKind != JsonValueKind.Array)
                {
                    return RuleValue.Missing;
                }

                var length = element.GetArrayLength();
                if (index < 0)
                {
                    index += length;
                }

                if (index < 0 || index >= length)
                {
                    return RuleValue.Missing;
                }

                element = element[index];
            }
        }

        return RuleValue.From(element);
    }
}

internal enum RuleOperator : byte { Or, And, Equal, NotEqual, Less, LessOrEqual, Greater, GreaterOrEqual, Add, Subtract, Multiply, Divide, Remainder }

internal sealed class NotNode(RuleNode operand) : RuleNode
{
    public override RuleValue Evaluate(RuleMessage message) => RuleValue.Of(!operand.Evaluate(message).IsTruthy);
}

internal sealed class NegateNode(RuleNode operand) : RuleNode
{
    public override RuleValue Evaluate(RuleMessage message) =>
        operand.Evaluate(message).TryGetNumber(out var number) ? RuleValue.Of(-number) : RuleValue.Missing;
}

internal sealed class BinaryNode(RuleOperator op, RuleNode left, RuleNode right) : RuleNode
{
    public override RuleValue Evaluate(RuleMessage message)
    {
        switch (op)
        {
            case RuleOperator.Or:
                return RuleValue.Of(left.Evaluate(message).IsTruthy || right.Evaluate(message).IsTruthy);
            case RuleOperator.And:
                return RuleValue.Of(left.Evaluate(message).IsTruthy && right.Evaluate(message).IsTruthy);
        }

        var a = left.Evaluate(message);
        var b = right.Evaluate(message);
        switch (op)
        {
            case RuleOperator.Equal:
                return RuleValue.Of(RuleValue.AreEqual(a, b));
            case RuleOperator.NotEqual:
                return RuleValue.Of(!RuleValue.AreEqual(a, b));
            case RuleOperator.Less:
                return RuleValue.Of(RuleValue.Compare(a, b) is < 0);
            case RuleOperator.LessOrEqual:
                return RuleValue.Of(RuleValue.Compare(a, b) is <= 0);
            case RuleOperator.Greater:
                return RuleValue.Of(RuleValue.Compare(a, b) is > 0);
            case RuleOperator.GreaterOrEqual:
                return RuleValue.Of(RuleValue.Compare(a, b) is >= 0);
            case RuleOperator.Add when a.Kind == RuleValueKind.Number && b.Kind == RuleValueKind.Number:
                return RuleValue.Of(a.Number + b.Number);
            case RuleOperator.Add when a.IsString || b.IsString:
                return RuleValue.Of(string.Concat(a.AsString(), b.AsString()));
        }

        if (!a.TryGetNumber(out var x) || !b.TryGetNumber(out var y))
        {
            return RuleValue.Missing;
        }

        return op switch
        {
            RuleOperator.Add => RuleValue.Of(x + y),
            RuleOperator.Subtract => RuleValue.Of(x - y),
            RuleOperator.Multiply => RuleValue.Of(x * y),
            RuleOperator.Divide => y == 0 ? RuleValue.Missing : RuleValue.Of(x / y),
            _ => y == 0 ? RuleValue.Missing : RuleValue.Of(x % y),
        };
    }
}

internal enum RuleFunction : byte
{
    Lower, Upper, Trim, Length, Contains, StartsWith, EndsWith, Substring, Concat, Replace,
    Abs, Round, Floor, Ceiling, Min, Max, Number, String, Exists, Matches, Json, Iso, Coalesce, If,
}

/// <summary>A function call; arguments are evaluated as each function needs them (<c>if</c> and <c>coalesce</c> lazily).</summary>
internal sealed class FunctionNode(RuleFunction function, RuleNode[] arguments) : RuleNode
{
    public static readonly Dictionary<string, (RuleFunction Function, int Min, int Max)> Table = new(StringComparer.OrdinalIgnoreCase)
    {
        ["lower"] = (RuleFunction.Lower, 1, 1),
        ["upper"] = (RuleFunction.Upper, 1, 1),
        ["trim"] = (RuleFunction.Trim, 1, 1),
        ["len"] = (RuleFunction.Length, 1, 1),
        ["contains"] = (RuleFunction.Contains, 2, 2),
        ["startswith"] = (RuleFunction.StartsWith, 2, 2),
        ["endswith"] = (RuleFunction.EndsWith, 2, 2),
        ["substr"] = (RuleFunction.Substring, 2, 3),
        ["concat"] = (RuleFunction.Concat, 1, 16),
        ["replace"] = (RuleFunction.Replace, 3, 3),
        ["abs"] = (RuleFunction.Abs, 1, 1),
        ["round"] = (RuleFunction.Round, 1, 2),
        ["floor"] = (RuleFunction.Floor, 1, 1),
        ["ceil"] = (RuleFunction.Ceiling, 1, 1),
        ["min"] = (RuleFunction.Min, 2, 16),
        ["max"] = (RuleFunction.Max, 2, 16),
        ["number"] = (RuleFunction.Number, 1, 1),
        ["string"] = (RuleFunction.String, 1, 1),
        ["exists"] = (RuleFunction.Exists, 1, 1),
        ["matches"] = (RuleFunction.Matches, 2, 2),
        ["json"] = (RuleFunction.Json, 1, 1),
        ["iso"] = (RuleFunction.Iso, 1, 1),
        ["coalesce"] = (RuleFunction.Coalesce, 1, 16),
        ["if"] = (RuleFunction.If, 3, 3),
    };

    public override RuleValue Evaluate(RuleMessage message)
    {
        switch (function)
        {
            case RuleFunction.If:
                return arguments[0].Evaluate(message).IsTruthy ? arguments[1].Evaluate(message) : arguments[2].Evaluate(message);
            case RuleFunction.Coalesce:
                foreach (var argument in arguments)
                {
                    var value = argument.Evaluate(message);
                    if (!value.IsMissingOrNull)
                    {
                        return value;
                    }
                }

                return RuleValue.Null;
            case RuleFunction.Exists:
                return RuleValue.Of(!arguments[0].Evaluate(message).IsMissingOrNull);
            case RuleFunction.Concat:
                var builder = new StringBuilder();
                foreach (var argument in arguments)
                {
                    argument.Evaluate(message).AppendTo(builder);
                }

                return RuleValue.Of(builder.ToString());
            case RuleFunction.Min:
            case RuleFunction.Max:
                return Extreme(message, function == RuleFunction.Max);
        }

        var first = arguments[0].Evaluate(message);
        switch (function)
        {
            case RuleFunction.Lower:
                return first.IsString ? RuleValue.Of(first.AsString()!.ToLowerInvariant()) : first;
            case RuleFunction.Upper:
                return first.IsString ? RuleValue.Of(first.AsString()!.ToUpperInvariant()) : first;
            case RuleFunction.Trim:
                return first.IsString ? RuleValue.Of(first.AsString()!.Trim()) : first;
            case RuleFunction.Length:
                return Length(first);
            case RuleFunction.Contains:
            case RuleFunction.StartsWith:
            case RuleFunction.EndsWith:
                return TextTest(first, arguments[1].Evaluate(message));
            case RuleFunction.Substring:
                return Substring(message, first);
            case RuleFunction.Replace:
                return first.AsString() is { } text && arguments[1].Evaluate(message).AsString() is { Length: > 0 } old
                    ? RuleValue.Of(text.Replace(old, arguments[2].Evaluate(message).AsString() ?? "", StringComparison.Ordinal))
                    : first;
            case RuleFunction.Number:
                return first.TryGetNumber(out var parsed) ? RuleValue.Of(parsed) : RuleValue.Missing;
            case RuleFunction.String:
                return first.IsMissingOrNull ? first : RuleValue.Of(first.AsString());
            case RuleFunction.Matches:
                return first.AsString() is { } topic && arguments[1].Evaluate(message).AsString() is { } filter
                    ? RuleValue.Of(MqttTopicMatch.Matches(filter, topic))
                    : RuleValue.False;
            case RuleFunction.Json:
                return RuleValue.Of(ToJson(first));
            case RuleFunction.Iso:
                return first.TryGetNumber(out var ms) && ms is >= -62135596800000 and <= 253402300799999
                    ? RuleValue.Of(DateTimeOffset.FromUnixTimeMilliseconds((long)ms).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
                    : RuleValue.Missing;
        }

        if (!first.TryGetNumber(out var number))
        {
            return RuleValue.Missing;
        }

        return function switch
        {
            RuleFunction.Abs => RuleValue.Of(Math.Abs(number)),
            RuleFunction.Floor => RuleValue.Of(Math.Floor(number)),
            RuleFunction.Ceiling => RuleValue.Of(Math.Ceiling(number)),
            _ => Round(message, number),
        };
    }

    private RuleValue Round(RuleMessage message, double number)
    {
        if (arguments.Length == 1)
        {
            return RuleValue.Of(Math.Round(number, MidpointRounding.AwayFromZero));
        }

        return arguments[1].Evaluate(message).TryGetNumber(out var digits) && digits is >= 0 and <= 15
            ? RuleValue.Of(Math.Round(number, (int)digits, MidpointRounding.AwayFromZero))
            : RuleValue.Missing;
    }

    private RuleValue Extreme(RuleMessage message, bool max)
    {
        var found = false;
        var best = 0.0;
        foreach (var argument in arguments)
        {
            if (argument.Evaluate(message).TryGetNumber(out var value) && (!found || (max ? value > best : value < best)))
            {
                best = value;
                found = true;
            }
        }

        return found ? RuleValue.Of(best) : RuleValue.Missing;
    }

    private static RuleValue Length(in RuleValue value)
    {
        if (value.Kind == RuleValueKind.Text)
        {
            return RuleValue.Of(value.TextSpan.Length);
        }

        if (value.Kind == RuleValueKind.Json)
        {
            return value.Element.ValueKind switch
            {
                JsonValueKind.Array => RuleValue.Of(value.Element.GetArrayLength()),
                JsonValueKind.String => RuleValue.Of(value.Element.GetString()!.Length),
                _ => RuleValue.Missing,
            };
        }

        return RuleValue.Missing;
    }

    private RuleValue TextTest(in RuleValue text, in RuleValue part)
    {
        if (!text.IsString || part.AsString() is not { } p)
        {
            return RuleValue.False;
        }

        var span = text.Kind == RuleValueKind.Text ? text.TextSpan : text.Element.GetString().AsSpan();
        return RuleValue.Of(function switch
        {
            RuleFunction.Contains => span.Contains(p, StringComparison.Ordinal),
            RuleFunction.StartsWith => span.StartsWith(p, StringComparison.Ordinal),
            _ => span.EndsWith(p, StringComparison.Ordinal),
        });
    }

    private RuleValue Substring(RuleMessage message, in RuleValue value)
    {
        if (value.AsString() is not { } text || !arguments[1].Evaluate(message).TryGetNumber(out var start))
        {
            return RuleValue.Missing;
        }

        var from = Math.Clamp((int)start, 0, text.Length);
        var length = text.Length - from;
        if (arguments.Length == 3)
        {
            if (!arguments[2].Evaluate(message).TryGetNumber(out var count))
            {
                return RuleValue.Missing;
            }

            length = Math.Clamp((int)count, 0, length);
        }

        return RuleValue.Slice(text, from, length);
    }

    /// <summary>Bodies are JSON, not HTML: only what JSON requires is escaped (quotes as \", not \u0022).</summary>
    internal static readonly JsonWriterOptions RelaxedJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string ToJson(in RuleValue value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer, RelaxedJson))
        {
            value.WriteJson(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
