using System.Globalization;
using System.Text;
using System.Text.Json;
using IoTix.Core.Generators;
using IoTix.Core.Models;

namespace IoTix.Core.Behaviors;

/// <summary>What a <c>${name}</c> placeholder of a behaviour template refers to.</summary>
internal enum PlaceholderKind : byte
{
    DeviceId,
    Index,
    GroupId,

    /// <summary>The device's lifecycle state name (<c>${state}</c>).</summary>
    LifecycleState,

    /// <summary>The current time, ISO 8601 UTC (<c>${timestamp}</c>).</summary>
    Timestamp,
    Telemetry,
    StateVariable,

    /// <summary>A parameter of the command that fired the behaviour.</summary>
    Parameter,
}

/// <summary>A resolved placeholder: its kind, slot (telemetry/state) and name (parameters).</summary>
internal readonly record struct Placeholder(PlaceholderKind Kind, int Slot, string Name);

/// <summary>What templates read at run time: the device firing the behaviour.</summary>
internal interface ITemplateSource
{
    string DeviceId { get; }

    int Index { get; }

    string? GroupId { get; }

    string LifecycleStateName { get; }

    DateTimeOffset NowUtc { get; }

    ReadOnlySpan<TelemetryValue> TelemetryValues { get; }

    ReadOnlySpan<TelemetryValue> StateValues { get; }

    /// <summary>Parameters of the command being handled (an object), if any.</summary>
    JsonElement? CommandParameters { get; }
}

/// <summary>Resolves placeholder names for one behaviour.</summary>
internal static class PlaceholderResolver
{
    public static bool TryResolve(string name, ModelSymbols symbols, bool allowParameters, out Placeholder placeholder)
    {
        placeholder = name switch
        {
            "deviceId" => new Placeholder(PlaceholderKind.DeviceId, 0, name),
            "index" => new Placeholder(PlaceholderKind.Index, 0, name),
            "groupId" => new Placeholder(PlaceholderKind.GroupId, 0, name),
            "timestamp" => new Placeholder(PlaceholderKind.Timestamp, 0, name),
            _ => default,
        };
        if (placeholder.Name is not null)
        {
            return true;
        }

        int t = symbols.TelemetryIndex(name);
        if (t >= 0)
        {
            placeholder = new Placeholder(PlaceholderKind.Telemetry, t, name);
            return true;
        }

        int s = symbols.StateIndex(name);
        if (s >= 0)
        {
            placeholder = new Placeholder(PlaceholderKind.StateVariable, s, name);
            return true;
        }

        if (name == "state")
        {
            placeholder = new Placeholder(PlaceholderKind.LifecycleState, 0, name);
            return true;
        }

        if (allowParameters)
        {
            placeholder = new Placeholder(PlaceholderKind.Parameter, 0, name);
            return true;
        }

        return false;
    }

    /// <summary>Writes the placeholder's value as a JSON value (numbers stay numbers).</summary>
    public static void WriteJson(Utf8JsonWriter writer, in Placeholder p, ITemplateSource source)
    {
        switch (p.Kind)
        {
            case PlaceholderKind.DeviceId: writer.WriteStringValue(source.DeviceId); break;
            case PlaceholderKind.Index: writer.WriteNumberValue(source.Index); break;
            case PlaceholderKind.GroupId: writer.WriteStringValue(source.GroupId ?? string.Empty); break;
            case PlaceholderKind.LifecycleState: writer.WriteStringValue(source.LifecycleStateName); break;
            case PlaceholderKind.Timestamp: writer.WriteStringValue(source.NowUtc); break;
            case PlaceholderKind.Telemetry: WriteValue(writer, in source.TelemetryValues[p.Slot]); break;
            case PlaceholderKind.StateVariable: WriteValue(writer, in source.StateValues[p.Slot]); break;
            default:
                if (source.CommandParameters is { ValueKind: JsonValueKind.Object } args && args.TryGetProperty(p.Name, out var arg))
                {
                    arg.WriteTo(writer);
                }
                else
                {
                    writer.WriteNullValue();
                }

                break;
        }
    }

    /// <summary>Appends the placeholder's value as text (inside a larger string).</summary>
    public static void AppendText(StringBuilder sb, in Placeholder p, ITemplateSource source)
    {
        switch (p.Kind)
        {
            case PlaceholderKind.DeviceId: sb.Append(source.DeviceId); break;
            case PlaceholderKind.Index: sb.Append(source.Index); break;
            case PlaceholderKind.GroupId: sb.Append(source.GroupId); break;
            case PlaceholderKind.LifecycleState: sb.Append(source.LifecycleStateName); break;
            case PlaceholderKind.Timestamp: sb.Append(CultureInfo.InvariantCulture, $"{source.NowUtc:O}"); break;
            case PlaceholderKind.Telemetry: AppendValue(sb, in source.TelemetryValues[p.Slot]); break;
            case PlaceholderKind.StateVariable: AppendValue(sb, in source.StateValues[p.Slot]); break;
            default:
                if (source.CommandParameters is { ValueKind: JsonValueKind.Object } args && args.TryGetProperty(p.Name, out var arg))
                {
                    sb.Append(arg.ValueKind == JsonValueKind.String ? arg.GetString() : arg.GetRawText());
                }

                break;
        }
    }

    /// <summary>The placeholder's value as a value (for <c>set</c> and <c>setState</c>).</summary>
    public static TelemetryValue ReadValue(in Placeholder p, ITemplateSource source)
    {
        switch (p.Kind)
        {
            case PlaceholderKind.Telemetry: return source.TelemetryValues[p.Slot];
            case PlaceholderKind.StateVariable: return source.StateValues[p.Slot];
            case PlaceholderKind.Index: return new TelemetryValue { Type = TelemetryDataType.Integer, Number = source.Index, HasValue = true };
            case PlaceholderKind.Parameter:
                if (source.CommandParameters is { ValueKind: JsonValueKind.Object } args && args.TryGetProperty(p.Name, out var arg))
                {
                    return ModelSymbols.ToValue(arg);
                }

                return default;
            default:
                var sb = new StringBuilder();
                AppendText(sb, in p, source);
                return new TelemetryValue { Type = TelemetryDataType.String, Text = sb.ToString(), HasValue = true };
        }
    }

    internal static void WriteValue(Utf8JsonWriter writer, in TelemetryValue v)
    {
        if (!v.HasValue)
        {
            writer.WriteNullValue();
            return;
        }

        switch (v.Type)
        {
            case TelemetryDataType.Integer: writer.WriteNumberValue((long)Math.Round(v.Number)); break;
            case TelemetryDataType.Boolean: writer.WriteBooleanValue(v.Boolean); break;
            case TelemetryDataType.String: writer.WriteStringValue(v.Text); break;
            case TelemetryDataType.Binary: writer.WriteBase64StringValue(v.BinarySpan); break;
            default:
                if (double.IsFinite(v.Number))
                {
                    writer.WriteNumberValue(v.Number);
                }
                else
                {
                    writer.WriteNullValue();
                }

                break;
        }
    }

    private static void AppendValue(StringBuilder sb, in TelemetryValue v)
    {
        if (!v.HasValue)
        {
            return;
        }

        switch (v.Type)
        {
            case TelemetryDataType.Integer: sb.Append((long)Math.Round(v.Number)); break;
            case TelemetryDataType.Boolean: sb.Append(v.Boolean ? "true" : "false"); break;
            case TelemetryDataType.String: sb.Append(v.Text); break;
            case TelemetryDataType.Binary: sb.Append(Convert.ToBase64String(v.BinarySpan)); break;
            default: sb.Append(CultureInfo.InvariantCulture, $"{v.Number}"); break;
        }
    }
}

/// <summary>
/// A publish action's payload: the JSON template compiled once per model. A string that is exactly
/// one placeholder (<c>"${heartRate}"</c>) becomes the value itself (a number stays a number); a
/// string mixing text and placeholders becomes a string.
/// </summary>
internal sealed class PayloadTemplate
{
    private readonly Node _root;

    private PayloadTemplate(Node root) => _root = root;

    public static bool TryCompile(JsonElement template, ModelSymbols symbols, bool allowParameters, string path, List<(string Path, string Message)> errors, out PayloadTemplate? compiled)
    {
        int before = errors.Count;
        var root = Compile(template, symbols, allowParameters, path, errors);
        compiled = errors.Count == before ? new PayloadTemplate(root) : null;
        return compiled is not null;
    }

    /// <summary>Writes the payload for <paramref name="source"/>.</summary>
    public void Write(Utf8JsonWriter writer, ITemplateSource source) => _root.Write(writer, source);

    private static Node Compile(JsonElement e, ModelSymbols symbols, bool allowParameters, string path, List<(string, string)> errors)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var props = new List<(string, Node)>();
                foreach (var p in e.EnumerateObject())
                {
                    props.Add((p.Name, Compile(p.Value, symbols, allowParameters, $"{path}.{p.Name}", errors)));
                }

                return new ObjectNode([.. props]);
            case JsonValueKind.Array:
                var items = new List<Node>();
                int i = 0;
                foreach (var item in e.EnumerateArray())
                {
                    items.Add(Compile(item, symbols, allowParameters, $"{path}[{i++}]", errors));
                }

                return new ArrayNode([.. items]);
            case JsonValueKind.String:
                var text = e.GetString()!;
                if (!text.Contains("${", StringComparison.Ordinal))
                {
                    return new LiteralNode(e.Clone());
                }

                if (!ModelTemplate.TryParse(text, out var template, out var error))
                {
                    errors.Add((path, error!));
                    return new LiteralNode(e.Clone());
                }

                var resolved = new Placeholder[template.Placeholders.Count];
                for (int k = 0; k < resolved.Length; k++)
                {
                    if (!PlaceholderResolver.TryResolve(template.Placeholders[k], symbols, allowParameters, out resolved[k]))
                    {
                        errors.Add((path, $"unknown placeholder '${{{template.Placeholders[k]}}}' (not deviceId, index, groupId, state, timestamp, a telemetry item or a state variable)"));
                    }
                }

                bool whole = resolved.Length == 1 && text.Trim() == "${" + template.Placeholders[0] + "}";
                return whole ? new ValueNode(resolved[0]) : new TextNode(template, resolved);
            default:
                return new LiteralNode(e.Clone());
        }
    }

    private abstract class Node
    {
        public abstract void Write(Utf8JsonWriter writer, ITemplateSource source);
    }

    private sealed class LiteralNode(JsonElement value) : Node
    {
        public override void Write(Utf8JsonWriter writer, ITemplateSource source) => value.WriteTo(writer);
    }

    private sealed class ValueNode(Placeholder placeholder) : Node
    {
        public override void Write(Utf8JsonWriter writer, ITemplateSource source) =>
            PlaceholderResolver.WriteJson(writer, in placeholder, source);
    }

    private sealed class TextNode(ModelTemplate template, Placeholder[] placeholders) : Node
    {
        public override void Write(Utf8JsonWriter writer, ITemplateSource source) =>
            writer.WriteStringValue(TemplateText.Render(template, placeholders, source));
    }

    private sealed class ObjectNode((string Name, Node Value)[] properties) : Node
    {
        public override void Write(Utf8JsonWriter writer, ITemplateSource source)
        {
            writer.WriteStartObject();
            foreach (var (name, value) in properties)
            {
                writer.WritePropertyName(name);
                value.Write(writer, source);
            }

            writer.WriteEndObject();
        }
    }

    private sealed class ArrayNode(Node[] items) : Node
    {
        public override void Write(Utf8JsonWriter writer, ITemplateSource source)
        {
            writer.WriteStartArray();
            foreach (var item in items)
            {
                item.Write(writer, source);
            }

            writer.WriteEndArray();
        }
    }
}

/// <summary>Renders a <see cref="ModelTemplate"/> whose placeholders are resolved, as text (no closures; one string per render).</summary>
internal static class TemplateText
{
    [ThreadStatic]
    private static StringBuilder? t_builder;

    [ThreadStatic]
    private static System.Buffers.ArrayBufferWriter<byte>? t_buffer;

    public static string Render(ModelTemplate template, Placeholder[] placeholders, ITemplateSource source)
    {
        var buffer = t_buffer ??= new System.Buffers.ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        template.WriteUtf8(buffer, (placeholders, source), static (writer, i, state) =>
        {
            var sb = t_builder ??= new StringBuilder(64);
            sb.Clear();
            PlaceholderResolver.AppendText(sb, in state.placeholders[i], state.source);
            foreach (var chunk in sb.GetChunks())
            {
                var span = writer.GetSpan(Encoding.UTF8.GetMaxByteCount(chunk.Length));
                writer.Advance(Encoding.UTF8.GetBytes(chunk.Span, span));
            }
        });
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
