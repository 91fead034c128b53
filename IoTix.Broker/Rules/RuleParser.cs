using System.Globalization;
using System.Text;

namespace IoTix.Broker.Rules;

/// <summary>
/// Recursive-descent parser of the rule expression language over <c>source[start..end)</c>. Loosest first:
/// <c>or ||</c>, <c>and &amp;&amp;</c>, <c>not !</c>, comparisons <c>= == != &lt;&gt; &lt; &lt;= &gt; &gt;=</c>,
/// <c>+ -</c>, <c>* / %</c>, unary <c>-</c>; then literals, paths, function calls and parentheses.
/// </summary>
internal sealed class RuleParser(string source, int start, int end)
{
    private static readonly string[] RootNames = ["payload", "topic", "clientid", "username", "qos", "retain", "timestamp", "rule"];

    private int _position = start;
    private RuleSyntaxError? _error;

    public bool TryParseAll(out RuleNode? node, out RuleSyntaxError? error)
    {
        SkipSpace();
        if (_position >= end)
        {
            node = null;
            error = new RuleSyntaxError(_position, "expected an expression");
            return false;
        }

        node = ParseOr();
        if (node is not null)
        {
            SkipSpace();
            if (_position < end)
            {
                Fail($"unexpected '{source[_position]}'");
                node = null;
            }
        }

        error = _error;
        return node is not null;
    }

    private RuleNode? Fail(string message)
    {
        _error ??= new RuleSyntaxError(_position, message);
        return null;
    }

    private RuleNode? ParseOr()
    {
        var left = ParseAnd();
        while (left is not null && (TakeSymbol("||") || TakeKeyword("or")))
        {
            var right = ParseAnd();
            left = right is null ? null : new BinaryNode(RuleOperator.Or, left, right);
        }

        return left;
    }

    private RuleNode? ParseAnd()
    {
        var left = ParseNot();
        while (left is not null && (TakeSymbol("&&") || TakeKeyword("and")))
        {
            var right = ParseNot();
            left = right is null ? null : new BinaryNode(RuleOperator.And, left, right);
        }

        return left;
    }

    private RuleNode? ParseNot()
    {
        SkipSpace();
        if (TakeKeyword("not") || (Peek('!') && !PeekAt(1, '=') && TakeSymbol("!")))
        {
            var operand = ParseNot();
            return operand is null ? null : new NotNode(operand);
        }

        return ParseComparison();
    }

    private RuleNode? ParseComparison()
    {
        var left = ParseAdditive();
        if (left is null)
        {
            return null;
        }

        RuleOperator? op =
            TakeSymbol("==") || TakeSymbol("=") ? RuleOperator.Equal
            : TakeSymbol("!=") || TakeSymbol("<>") ? RuleOperator.NotEqual
            : TakeSymbol("<=") ? RuleOperator.LessOrEqual
            : TakeSymbol(">=") ? RuleOperator.GreaterOrEqual
            : TakeSymbol("<") ? RuleOperator.Less
            : TakeSymbol(">") ? RuleOperator.Greater
            : null;
        if (op is null)
        {
            return left;
        }

        var right = ParseAdditive();
        return right is null ? null : new BinaryNode(op.Value, left, right);
    }

    private RuleNode? ParseAdditive()
    {
        var left = ParseMultiplicative();
        while (left is not null)
        {
            RuleOperator op;
            if (TakeSymbol("+"))
            {
                op = RuleOperator.Add;
            }
            else if (TakeSymbol("-"))
            {
                op = RuleOperator.Subtract;
            }
            else
            {
                break;
            }

            var right = ParseMultiplicative();
            left = right is null ? null : new BinaryNode(op, left, right);
        }

        return left;
    }

    private RuleNode? ParseMultiplicative()
    {
        var left = ParseUnary();
        while (left is not null)
        {
            RuleOperator op;
            if (TakeSymbol("*"))
            {
                op = RuleOperator.Multiply;
            }
            else if (TakeSymbol("/"))
            {
                op = RuleOperator.Divide;
            }
            else if (TakeSymbol("%"))
            {
                op = RuleOperator.Remainder;
            }
            else
            {
                break;
            }

            var right = ParseUnary();
            left = right is null ? null : new BinaryNode(op, left, right);
        }

        return left;
    }

    private RuleNode? ParseUnary()
    {
        if (TakeSymbol("-"))
        {
            var operand = ParseUnary();
            return operand is null ? null : new NegateNode(operand);
        }

        return ParsePrimary();
    }

    private RuleNode? ParsePrimary()
    {
        SkipSpace();
        if (_position >= end)
        {
            return Fail("expected a value, found the end of the expression");
        }

        var c = source[_position];
        if (c == '(')
        {
            _position++;
            var inner = ParseOr();
            if (inner is null)
            {
                return null;
            }

            return TakeSymbol(")") ? inner : Fail("expected ')'");
        }

        if (char.IsAsciiDigit(c) || (c == '.' && _position + 1 < end && char.IsAsciiDigit(source[_position + 1])))
        {
            return ParseNumber();
        }

        if (c is '\'' or '"')
        {
            return ReadString(out var text) ? new ConstantNode(RuleValue.Of(text)) : null;
        }

        if (char.IsAsciiLetter(c) || c == '_')
        {
            return ParseName();
        }

        return Fail($"unexpected '{c}'");
    }

    private RuleNode? ParseNumber()
    {
        var begin = _position;
        while (_position < end && (char.IsAsciiDigit(source[_position]) || source[_position] == '.'))
        {
            _position++;
        }

        if (_position < end && source[_position] is 'e' or 'E')
        {
            _position++;
            if (_position < end && source[_position] is '+' or '-')
            {
                _position++;
            }

            while (_position < end && char.IsAsciiDigit(source[_position]))
            {
                _position++;
            }
        }

        if (!double.TryParse(source.AsSpan(begin, _position - begin), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            _position = begin;
            return Fail("malformed number");
        }

        return new ConstantNode(RuleValue.Of(number));
    }

    private bool ReadString(out string text)
    {
        var quote = source[_position];
        var begin = _position;
        _position++;
        var builder = new StringBuilder();
        while (_position < end)
        {
            var c = source[_position++];
            if (c == quote)
            {
                text = builder.ToString();
                return true;
            }

            if (c == '\\' && _position < end)
            {
                var escaped = source[_position++];
                builder.Append(escaped switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => escaped });
                continue;
            }

            builder.Append(c);
        }

        _position = begin;
        Fail("unterminated string");
        text = "";
        return false;
    }

    private string ReadIdentifier()
    {
        var begin = _position;
        while (_position < end && (char.IsAsciiLetterOrDigit(source[_position]) || source[_position] == '_'))
        {
            _position++;
        }

        return source[begin.._position];
    }

    private RuleNode? ParseName()
    {
        var begin = _position;
        var name = ReadIdentifier();
        var lower = name.ToLowerInvariant();
        switch (lower)
        {
            case "true":
                return new ConstantNode(RuleValue.True);
            case "false":
                return new ConstantNode(RuleValue.False);
            case "null":
                return new ConstantNode(RuleValue.Null);
            case "and" or "or" or "not":
                _position = begin;
                return Fail($"expected a value before '{name}'");
        }

        SkipSpace();
        if (Peek('('))
        {
            return ParseCall(name, begin);
        }

        switch (lower)
        {
            case "payload":
                return ParsePayloadPath();
            case "topic":
                return ParseTopic();
            case "clientid":
                return new MessageFieldNode(MessageField.ClientId);
            case "username":
                return new MessageFieldNode(MessageField.UserName);
            case "qos":
                return new MessageFieldNode(MessageField.Qos);
            case "retain":
                return new MessageFieldNode(MessageField.Retain);
            case "timestamp":
                return new MessageFieldNode(MessageField.Timestamp);
            case "rule":
                return new MessageFieldNode(MessageField.Rule);
        }

        _position = begin;
        return Fail($"unknown name '{name}'; known: {string.Join(", ", RootNames)} (payload fields are payload.name)");
    }

    private RuleNode? ParseCall(string name, int begin)
    {
        if (!FunctionNode.Table.TryGetValue(name, out var entry))
        {
            _position = begin;
            return Fail($"unknown function '{name}'; known: {string.Join(", ", FunctionNode.Table.Keys)}");
        }

        _position++; // '('
        var arguments = new List<RuleNode>();
        SkipSpace();
        if (!TakeSymbol(")"))
        {
            while (true)
            {
                var argument = ParseOr();
                if (argument is null)
                {
                    return null;
                }

                arguments.Add(argument);
                if (TakeSymbol(")"))
                {
                    break;
                }

                if (!TakeSymbol(","))
                {
                    return Fail($"expected ',' or ')' in the arguments of {name}");
                }
            }
        }

        if (arguments.Count < entry.Min || arguments.Count > entry.Max)
        {
            _position = begin;
            var expected = entry.Min == entry.Max ? $"{entry.Min}" : $"{entry.Min} to {entry.Max}";
            return Fail($"{name} takes {expected} argument(s), got {arguments.Count}");
        }

        return new FunctionNode(entry.Function, [.. arguments]);
    }

    private RuleNode? ParseTopic()
    {
        if (!TakeSymbol("["))
        {
            return new MessageFieldNode(MessageField.Topic);
        }

        if (!TryReadIndex(out var index))
        {
            return Fail("expected a whole number: topic[0] is the first level, topic[-1] the last");
        }

        return TakeSymbol("]") ? new TopicLevelNode(index) : Fail("expected ']'");
    }

    private RuleNode? ParsePayloadPath()
    {
        var names = new List<string?>();
        var indexes = new List<int>();
        while (true)
        {
            if (TakeSymbol("."))
            {
                if (_position >= end || !(char.IsAsciiLetter(source[_position]) || source[_position] == '_'))
                {
                    return Fail("expected a field name after '.'");
                }

                names.Add(ReadIdentifier());
                indexes.Add(0);
            }
            else if (TakeSymbol("["))
            {
                SkipSpace();
                if (_position < end && source[_position] is '\'' or '"')
                {
                    if (!ReadString(out var key))
                    {
                        return null;
                    }

                    names.Add(key);
                    indexes.Add(0);
                }
                else if (TryReadIndex(out var index))
                {
                    names.Add(null);
                    indexes.Add(index);
                }
                else
                {
                    return Fail("expected an array index or a quoted field name");
                }

                if (!TakeSymbol("]"))
                {
                    return Fail("expected ']'");
                }
            }
            else
            {
                break;
            }
        }

        return names.Count == 0 ? new MessageFieldNode(MessageField.PayloadRoot) : new PayloadPathNode([.. names], [.. indexes]);
    }

    private bool TryReadIndex(out int index)
    {
        SkipSpace();
        var begin = _position;
        if (_position < end && source[_position] == '-')
        {
            _position++;
        }

        while (_position < end && char.IsAsciiDigit(source[_position]))
        {
            _position++;
        }

        if (int.TryParse(source.AsSpan(begin, _position - begin), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out index))
        {
            return true;
        }

        _position = begin;
        return false;
    }

    private bool Peek(char c) => _position < end && source[_position] == c;

    private bool PeekAt(int offset, char c) => _position + offset < end && source[_position + offset] == c;

    private bool TakeSymbol(string symbol)
    {
        SkipSpace();
        if (end - _position >= symbol.Length && string.CompareOrdinal(source, _position, symbol, 0, symbol.Length) == 0)
        {
            // '=' must not take the first half of '==', '<' not of '<=' or '<>' and so on: callers try longer symbols first.
            _position += symbol.Length;
            return true;
        }

        return false;
    }

    private bool TakeKeyword(string keyword)
    {
        SkipSpace();
        var after = _position + keyword.Length;
        if (after <= end
            && string.Compare(source, _position, keyword, 0, keyword.Length, StringComparison.OrdinalIgnoreCase) == 0
            && (after == end || !(char.IsAsciiLetterOrDigit(source[after]) || source[after] == '_')))
        {
            _position = after;
            return true;
        }

        return false;
    }

    private void SkipSpace()
    {
        while (_position < end && char.IsWhiteSpace(source[_position]))
        {
            _position++;
        }
    }
}
