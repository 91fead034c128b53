using System.Buffers;
using System.Text;

namespace IoTix.Core.Models;

/// <summary>
/// A string with <c>${name}</c> placeholders (topic and client id patterns, payload templates),
/// parsed once. Known names: <c>deviceId</c>, <c>index</c>, <c>groupId</c>, telemetry item and
/// state names, and <c>env:NAME</c> in credentials. The legacy <c>{index}</c> form of group id
/// patterns is accepted as well. Parse once per model, render once per device (or per message
/// into a buffer) without re-scanning.
/// </summary>
public sealed class ModelTemplate
{
    private readonly string[] _literals;     // literal before placeholder i; last one after the final placeholder
    private readonly string[] _placeholders; // placeholder names, in order

    private ModelTemplate(string source, string[] literals, string[] placeholders)
    {
        Source = source;
        _literals = literals;
        _placeholders = placeholders;
    }

    public string Source { get; }

    /// <summary>Placeholder names in order of appearance (may repeat).</summary>
    public IReadOnlyList<string> Placeholders => _placeholders;

    public bool IsConstant => _placeholders.Length == 0;

    /// <summary>Parses <paramref name="source"/>; fails with a message on an unclosed or empty placeholder.</summary>
    public static bool TryParse(string source, out ModelTemplate template, out string? error)
    {
        ArgumentNullException.ThrowIfNull(source);
        var literals = new List<string>();
        var names = new List<string>();
        var literal = new StringBuilder();
        int i = 0;
        while (i < source.Length)
        {
            bool dollar = source[i] == '$' && i + 1 < source.Length && source[i + 1] == '{';
            bool bare = source[i] == '{' && source.AsSpan(i).StartsWith("{index}", StringComparison.Ordinal);
            if (!dollar && !bare)
            {
                literal.Append(source[i++]);
                continue;
            }

            int open = dollar ? i + 2 : i + 1;
            int close = source.IndexOf('}', open);
            if (close < 0)
            {
                template = null!;
                error = $"unclosed placeholder at position {i} in \"{source}\"";
                return false;
            }

            var name = source[open..close].Trim();
            if (name.Length == 0)
            {
                template = null!;
                error = $"empty placeholder at position {i} in \"{source}\"";
                return false;
            }

            literals.Add(literal.ToString());
            literal.Clear();
            names.Add(name);
            i = close + 1;
        }

        literals.Add(literal.ToString());
        template = new ModelTemplate(source, [.. literals], [.. names]);
        error = null;
        return true;
    }

    /// <summary>Parses a template known to be valid (validated models); throws on a malformed one.</summary>
    public static ModelTemplate Parse(string source) =>
        TryParse(source, out var template, out var error) ? template : throw new FormatException(error);

    /// <summary>Renders with <paramref name="resolve"/> giving each placeholder's text (null leaves the placeholder as written).</summary>
    public string Render(Func<string, string?> resolve)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        if (IsConstant)
        {
            return Source;
        }

        var sb = new StringBuilder(Source.Length + 16);
        for (int i = 0; i < _placeholders.Length; i++)
        {
            sb.Append(_literals[i]);
            sb.Append(resolve(_placeholders[i]) ?? "${" + _placeholders[i] + "}");
        }

        sb.Append(_literals[^1]);
        return sb.ToString();
    }

    /// <summary>Renders for one device: <c>deviceId</c>, <c>index</c> and <c>groupId</c>; other names through <paramref name="resolve"/>.</summary>
    public string RenderForDevice(string deviceId, int index, string? groupId, Func<string, string?>? resolve = null) =>
        Render(name => name switch
        {
            "deviceId" => deviceId,
            "index" => index.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "groupId" => groupId ?? string.Empty,
            _ => resolve?.Invoke(name),
        });

    /// <summary>Renders as UTF-8 into <paramref name="writer"/>, with placeholder <c>i</c> written by <paramref name="writePlaceholder"/>; allocation-free when the callback is.</summary>
    public void WriteUtf8<TState>(IBufferWriter<byte> writer, TState state, Action<IBufferWriter<byte>, int, TState> writePlaceholder)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(writePlaceholder);
        for (int i = 0; i < _placeholders.Length; i++)
        {
            WriteLiteral(writer, _literals[i]);
            writePlaceholder(writer, i, state);
        }

        WriteLiteral(writer, _literals[^1]);
    }

    private static void WriteLiteral(IBufferWriter<byte> writer, string literal)
    {
        if (literal.Length == 0)
        {
            return;
        }

        var span = writer.GetSpan(Encoding.UTF8.GetMaxByteCount(literal.Length));
        writer.Advance(Encoding.UTF8.GetBytes(literal, span));
    }

    public override string ToString() => Source;
}
