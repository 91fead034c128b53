using System.Globalization;
using IoTix.Core.Generators;
using IoTix.Core.Models;

namespace IoTix.Core.Behaviors;

/// <summary>
/// A behaviour condition (<c>heartRate &gt; 120 || heartRate &lt; 50</c>) compiled once per model into
/// a small tree whose identifiers are already resolved to value slots, so evaluating it reads the
/// device's value arrays directly and allocates nothing.
/// </summary>
/// <remarks>
/// Grammar, loosest first: <c>||</c>, <c>&amp;&amp;</c>, <c>== !=</c>, <c>&lt; &lt;= &gt; &gt;=</c>, <c>+ -</c>,
/// <c>* /</c>, unary <c>! -</c>, then numbers, <c>true</c>/<c>false</c>, string literals in single or
/// double quotes, identifiers (telemetry items and state variables) and parentheses. Comparisons
/// are numeric (booleans count 1/0); <c>==</c>/<c>!=</c> compare strings when either side is a
/// string. A value not produced yet is NaN: every comparison with it is false.
/// </remarks>
public sealed class ConditionExpression
{
    private readonly Node _root;

    private ConditionExpression(string source, Node root, IReadOnlyList<string> identifiers)
    {
        Source = source;
        _root = root;
        Identifiers = identifiers;
    }

    public string Source { get; }

    /// <summary>The identifiers the condition reads.</summary>
    public IReadOnlyList<string> Identifiers { get; }

    /// <summary>
    /// Parses <paramref name="source"/>, resolving each identifier through <paramref name="resolveSlot"/>
    /// (a slot number, or -1 for an unknown name). Errors carry the 0-based position.
    /// </summary>
    public static bool TryParse(string source, Func<string, int> resolveSlot, out ConditionExpression expression, out ConditionError? error)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(resolveSlot);
        var parser = new Parser(source, resolveSlot);
        expression = null!;
        if (!parser.TryParse(out var root, out error))
        {
            return false;
        }

        expression = new ConditionExpression(source, root!, parser.Identifiers);
        return true;
    }

    /// <summary>True when the condition holds for the given values (slots below <c>telemetry.Length</c> are telemetry, the rest state variables).</summary>
    public bool Evaluate(ReadOnlySpan<TelemetryValue> telemetry, ReadOnlySpan<TelemetryValue> state)
    {
        var context = new Context(telemetry, state);
        return _root.Evaluate(in context).IsTruthy;
    }

    public override string ToString() => Source;

    internal readonly ref struct Context(ReadOnlySpan<TelemetryValue> telemetry, ReadOnlySpan<TelemetryValue> state)
    {
        public readonly ReadOnlySpan<TelemetryValue> Telemetry = telemetry;
        public readonly ReadOnlySpan<TelemetryValue> State = state;
    }

    internal enum ValueKind : byte { Number, Boolean, String }

    internal readonly struct Value
    {
        public readonly ValueKind Kind;
        public readonly double Number;
        public readonly string? Text;

        private Value(ValueKind kind, double number, string? text)
        {
            Kind = kind;
            Number = number;
            Text = text;
        }

        public static Value Of(double number) => new(ValueKind.Number, number, null);

        public static Value Of(bool value) => new(ValueKind.Boolean, value ? 1 : 0, null);

        public static Value Of(string? text) => new(ValueKind.String, double.NaN, text);

        public static Value From(in TelemetryValue value)
        {
            if (!value.HasValue)
            {
                return Of(double.NaN);
            }

            return value.Type switch
            {
                TelemetryDataType.Boolean => Of(value.Boolean),
                TelemetryDataType.String => Of(value.Text),
                TelemetryDataType.Binary => Of(double.NaN),
                _ => Of(value.Number),
            };
        }

        public bool IsTruthy => Kind switch
        {
            ValueKind.String => !string.IsNullOrEmpty(Text),
            _ => Number != 0 && !double.IsNaN(Number),
        };
    }

    internal abstract class Node
    {
        public abstract Value Evaluate(in Context context);
    }

    private sealed class ConstantNode(Value value) : Node
    {
        public override Value Evaluate(in Context context) => value;
    }

    private sealed class SlotNode(int slot) : Node
    {
        public override Value Evaluate(in Context context)
        {
            if (slot < context.Telemetry.Length)
            {
                return Value.From(in context.Telemetry[slot]);
            }

            int s = slot - context.Telemetry.Length;
            return s < context.State.Length ? Value.From(in context.State[s]) : Value.Of(double.NaN);
        }
    }

    private sealed class NotNode(Node operand) : Node
    {
        public override Value Evaluate(in Context context) => Value.Of(!operand.Evaluate(in context).IsTruthy);
    }

    private sealed class NegateNode(Node operand) : Node
    {
        public override Value Evaluate(in Context context) => Value.Of(-operand.Evaluate(in context).Number);
    }

    private sealed class AndNode(Node left, Node right) : Node
    {
        public override Value Evaluate(in Context context) =>
            Value.Of(left.Evaluate(in context).IsTruthy && right.Evaluate(in context).IsTruthy);
    }

    private sealed class OrNode(Node left, Node right) : Node
    {
        public override Value Evaluate(in Context context) =>
            Value.Of(left.Evaluate(in context).IsTruthy || right.Evaluate(in context).IsTruthy);
    }

    private sealed class BinaryNode(string op, Node left, Node right) : Node
    {
        public override Value Evaluate(in Context context)
        {
            var l = left.Evaluate(in context);
            var r = right.Evaluate(in context);
            switch (op)
            {
                case "==":
                case "!=":
                    bool equal = l.Kind == ValueKind.String || r.Kind == ValueKind.String
                        ? l.Kind == r.Kind && string.Equals(l.Text, r.Text, StringComparison.Ordinal)
                        : l.Number == r.Number;
                    return Value.Of(op == "==" ? equal : !equal);
                case "<": return Value.Of(l.Number < r.Number);
                case "<=": return Value.Of(l.Number <= r.Number);
                case ">": return Value.Of(l.Number > r.Number);
                case ">=": return Value.Of(l.Number >= r.Number);
                case "+": return Value.Of(l.Number + r.Number);
                case "-": return Value.Of(l.Number - r.Number);
                case "*": return Value.Of(l.Number * r.Number);
                default: return Value.Of(l.Number / r.Number);
            }
        }
    }

    private sealed class Parser(string source, Func<string, int> resolveSlot)
    {
        private int _pos;
        private ConditionError? _error;

        public List<string> Identifiers { get; } = [];

        public bool TryParse(out Node? root, out ConditionError? error)
        {
            root = null;
            SkipSpace();
            if (_pos >= source.Length)
            {
                error = new ConditionError(0, "the condition is empty");
                return false;
            }

            root = ParseOr();
            if (_error is null)
            {
                SkipSpace();
                if (_pos < source.Length)
                {
                    Fail($"unexpected '{source[_pos]}'");
                }
            }

            error = _error;
            return _error is null;
        }

        private Node ParseOr()
        {
            var left = ParseAnd();
            while (_error is null && Accept("||"))
            {
                left = new OrNode(left, ParseAnd());
            }

            return left;
        }

        private Node ParseAnd()
        {
            var left = ParseEquality();
            while (_error is null && Accept("&&"))
            {
                left = new AndNode(left, ParseEquality());
            }

            return left;
        }

        private Node ParseEquality()
        {
            var left = ParseRelational();
            while (_error is null)
            {
                string? op = Accept("==") ? "==" : Accept("!=") ? "!=" : null;
                if (op is null)
                {
                    break;
                }

                left = new BinaryNode(op, left, ParseRelational());
            }

            return left;
        }

        private Node ParseRelational()
        {
            var left = ParseAdditive();
            while (_error is null)
            {
                string? op = Accept("<=") ? "<=" : Accept(">=") ? ">=" : Accept("<") ? "<" : Accept(">") ? ">" : null;
                if (op is null)
                {
                    break;
                }

                left = new BinaryNode(op, left, ParseAdditive());
            }

            return left;
        }

        private Node ParseAdditive()
        {
            var left = ParseMultiplicative();
            while (_error is null)
            {
                string? op = Accept("+") ? "+" : Accept("-") ? "-" : null;
                if (op is null)
                {
                    break;
                }

                left = new BinaryNode(op, left, ParseMultiplicative());
            }

            return left;
        }

        private Node ParseMultiplicative()
        {
            var left = ParseUnary();
            while (_error is null)
            {
                string? op = Accept("*") ? "*" : Accept("/") ? "/" : null;
                if (op is null)
                {
                    break;
                }

                left = new BinaryNode(op, left, ParseUnary());
            }

            return left;
        }

        private Node ParseUnary()
        {
            SkipSpace();
            if (_pos < source.Length && source[_pos] == '!' && !Peek("!="))
            {
                _pos++;
                return new NotNode(ParseUnary());
            }

            if (Accept("-"))
            {
                return new NegateNode(ParseUnary());
            }

            return ParsePrimary();
        }

        private Node ParsePrimary()
        {
            SkipSpace();
            if (_pos >= source.Length)
            {
                return Fail("unexpected end of the condition, expected a value");
            }

            char c = source[_pos];
            if (c == '(')
            {
                _pos++;
                var inner = ParseOr();
                if (_error is null && !Accept(")"))
                {
                    return Fail("expected ')'");
                }

                return inner;
            }

            if (char.IsAsciiDigit(c) || (c == '.' && _pos + 1 < source.Length && char.IsAsciiDigit(source[_pos + 1])))
            {
                int start = _pos;
                while (_pos < source.Length && (char.IsAsciiDigit(source[_pos]) || source[_pos] == '.'))
                {
                    _pos++;
                }

                if (_pos < source.Length && (source[_pos] is 'e' or 'E'))
                {
                    _pos++;
                    if (_pos < source.Length && source[_pos] is '+' or '-')
                    {
                        _pos++;
                    }

                    while (_pos < source.Length && char.IsAsciiDigit(source[_pos]))
                    {
                        _pos++;
                    }
                }

                if (!double.TryParse(source.AsSpan(start, _pos - start), NumberStyles.Float, CultureInfo.InvariantCulture, out double number))
                {
                    _pos = start;
                    return Fail($"invalid number '{source[start.._pos]}'");
                }

                return new ConstantNode(Value.Of(number));
            }

            if (c is '"' or '\'')
            {
                int start = _pos++;
                int close = source.IndexOf(c, _pos);
                if (close < 0)
                {
                    _pos = start;
                    return Fail("unclosed string literal");
                }

                string text = source[_pos..close];
                _pos = close + 1;
                return new ConstantNode(Value.Of(text));
            }

            if (char.IsAsciiLetter(c) || c == '_')
            {
                int start = _pos;
                while (_pos < source.Length && (char.IsAsciiLetterOrDigit(source[_pos]) || source[_pos] is '_' or '.'))
                {
                    _pos++;
                }

                string name = source[start.._pos];
                if (name == "true")
                {
                    return new ConstantNode(Value.Of(true));
                }

                if (name == "false")
                {
                    return new ConstantNode(Value.Of(false));
                }

                int slot = resolveSlot(name);
                if (slot < 0)
                {
                    _pos = start;
                    return Fail($"unknown identifier '{name}' (not a telemetry item or state variable of the model)");
                }

                Identifiers.Add(name);
                return new SlotNode(slot);
            }

            return Fail($"unexpected '{c}'");
        }

        private bool Peek(string token)
        {
            SkipSpace();
            return string.CompareOrdinal(source, _pos, token, 0, token.Length) == 0;
        }

        private bool Accept(string token)
        {
            if (!Peek(token))
            {
                return false;
            }

            // '<' must not swallow the first half of '<=' etc.; callers try longer tokens first.
            _pos += token.Length;
            return true;
        }

        private void SkipSpace()
        {
            while (_pos < source.Length && char.IsWhiteSpace(source[_pos]))
            {
                _pos++;
            }
        }

        private ConstantNode Fail(string message)
        {
            _error ??= new ConditionError(_pos, $"{message} at position {_pos}");
            _pos = source.Length;
            return new ConstantNode(Value.Of(false));
        }
    }
}

/// <summary>A condition that failed to parse: where (0-based character position) and what.</summary>
public sealed record ConditionError(int Position, string Message);
