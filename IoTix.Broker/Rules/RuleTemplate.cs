using System.Text;

namespace IoTix.Broker.Rules;

/// <summary>
/// Text with <c>${expression}</c> parts (<c>alerts/${topic[1]}</c>, <c>{"t": ${payload.temp * 1.8 + 32}}</c>), parsed once.
/// A part renders strings as they are, numbers invariant, JSON objects and arrays as JSON, missing values as nothing;
/// <c>${json(x)}</c> renders any value as JSON. <c>$${</c> is a literal <c>${</c>.
/// </summary>
internal sealed class RuleTemplate
{
    private readonly string[] _literals;
    private readonly RuleNode?[] _parts;

    private RuleTemplate(string source, string[] literals, RuleNode?[] parts)
    {
        Source = source;
        _literals = literals;
        _parts = parts;
    }

    public string Source { get; }

    /// <summary>True when the template has no expression part.</summary>
    public bool IsConstant => _parts.Length == 0;

    public static bool TryParse(string source, out RuleTemplate? template, out RuleSyntaxError? error)
    {
        ArgumentNullException.ThrowIfNull(source);
        var literals = new List<string>();
        var parts = new List<RuleNode?>();
        var literal = new StringBuilder();
        var i = 0;
        while (i < source.Length)
        {
            if (source[i] == '$' && i + 2 < source.Length && source[i + 1] == '$' && source[i + 2] == '{')
            {
                literal.Append("${");
                i += 3;
                continue;
            }

            if (source[i] == '$' && i + 1 < source.Length && source[i + 1] == '{')
            {
                var close = FindClose(source, i + 2);
                if (close < 0)
                {
                    template = null;
                    error = new RuleSyntaxError(i, "'${' without a closing '}'");
                    return false;
                }

                if (!RuleExpression.TryParse(source, i + 2, close, out var node, out error))
                {
                    template = null;
                    return false;
                }

                literals.Add(literal.ToString());
                literal.Clear();
                parts.Add(node);
                i = close + 1;
                continue;
            }

            literal.Append(source[i]);
            i++;
        }

        literals.Add(literal.ToString());
        template = new RuleTemplate(source, [.. literals], [.. parts]);
        error = null;
        return true;
    }

    /// <summary>Appends the rendered text to <paramref name="builder"/>.</summary>
    public void Render(RuleMessage message, StringBuilder builder)
    {
        for (var i = 0; i < _parts.Length; i++)
        {
            builder.Append(_literals[i]);
            _parts[i]!.Evaluate(message).AppendTo(builder);
        }

        builder.Append(_literals[^1]);
    }

    public string Render(RuleMessage message)
    {
        if (_parts.Length == 0)
        {
            return _literals[0];
        }

        var builder = new StringBuilder();
        Render(message, builder);
        return builder.ToString();
    }

    /// <summary>The '}' that ends the part starting at <paramref name="from"/>, skipping quoted strings; -1 if none.</summary>
    private static int FindClose(string source, int from)
    {
        char quote = '\0';
        for (var i = from; i < source.Length; i++)
        {
            var c = source[i];
            if (quote != '\0')
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '}')
            {
                return i;
            }
        }

        return -1;
    }
}
