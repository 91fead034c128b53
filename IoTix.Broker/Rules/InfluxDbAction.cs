using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace IoTix.Broker.Rules;

/// <summary>
/// <c>influxdb</c> (FR-043): one line-protocol point per message (measurement, tags and fields from expressions,
/// millisecond timestamp of receipt), written in batches to InfluxDB 1.x's <c>/write</c> over HTTP: a batch goes out
/// when <c>batchSize</c> lines wait or <c>flushIntervalMs</c> after its first line. A failing InfluxDB costs retries
/// within bounds, then the batch is skipped, counted and logged (FR-043a); MQTT and other actions go on.
/// </summary>
internal sealed class InfluxDbAction(
    int index,
    string ruleId,
    Uri writeUrl,
    RuleTemplate measurement,
    IReadOnlyList<(string Name, RuleNode Value)> tags,
    IReadOnlyList<(string Name, RuleNode Value)>? fields,
    int batchSize,
    int flushIntervalMs,
    int timeoutMs,
    int retries,
    int retryDelayMs) : QueuedRuleAction<string>(index, ruleId, writeUrl.GetLeftPart(UriPartial.Path), timeoutMs, retries, retryDelayMs)
{
    public override string Type => RuleActionTypes.InfluxDb;

    public override RuleActionPreview Preview(RuleMessage message)
    {
        var line = Render(message, out var error);
        return new RuleActionPreview(Index, Type, $"POST {writeUrl}", line, null, error);
    }

    /// <summary>The point as a line of the line protocol; null (with the reason) when it has no measurement or no field.</summary>
    internal override string? Render(RuleMessage message, out string? error)
    {
        var builder = new StringBuilder(128);
        var name = measurement.Render(message);
        if (name.Length == 0)
        {
            error = "measurement renders empty";
            return null;
        }

        Escape(builder, name, measurementOnly: true);
        foreach (var (tag, node) in tags)
        {
            var value = node.Evaluate(message).AsString();
            if (string.IsNullOrEmpty(value))
            {
                continue; // InfluxDB rejects empty tag values: the tag is left out.
            }

            builder.Append(',');
            Escape(builder, tag, measurementOnly: false);
            builder.Append('=');
            Escape(builder, value, measurementOnly: false);
        }

        builder.Append(' ');
        var count = 0;
        if (fields is not null)
        {
            foreach (var (field, node) in fields)
            {
                count += AppendField(builder, field, node.Evaluate(message), count);
            }
        }
        else if (message.Json is { ValueKind: JsonValueKind.Object } root)
        {
            foreach (var property in root.EnumerateObject())
            {
                count += AppendField(builder, property.Name, RuleValue.From(property.Value), count);
            }
        }

        if (count == 0)
        {
            error = fields is null ? "no fields: the payload is not a JSON object with numbers, booleans or strings" : "no fields: every field expression is missing";
            return null;
        }

        builder.Append(' ').Append(message.Timestamp.ToString(CultureInfo.InvariantCulture));
        error = null;
        return builder.ToString();
    }

    private static int AppendField(StringBuilder builder, string name, in RuleValue value, int written)
    {
        switch (value.Kind)
        {
            case RuleValueKind.Number or RuleValueKind.Boolean:
            case RuleValueKind.Text:
            case RuleValueKind.Json when value.Element.ValueKind == JsonValueKind.String:
                break;
            default:
                return 0; // missing, null, objects and arrays are not fields
        }

        if (written > 0)
        {
            builder.Append(',');
        }

        Escape(builder, name, measurementOnly: false);
        builder.Append('=');
        if (value.Kind == RuleValueKind.Number)
        {
            // Always a float: a field that is sometimes 21 and sometimes 21.5 keeps one type in InfluxDB.
            builder.Append(value.Number.ToString("R", CultureInfo.InvariantCulture));
        }
        else if (value.Kind == RuleValueKind.Boolean)
        {
            builder.Append(value.Number != 0 ? "true" : "false");
        }
        else
        {
            builder.Append('"');
            foreach (var c in value.AsString()!)
            {
                if (c is '"' or '\\')
                {
                    builder.Append('\\');
                }

                builder.Append(c);
            }

            builder.Append('"');
        }

        return 1;
    }

    /// <summary>Line-protocol escaping: commas and spaces (and '=' outside measurements) get a backslash; newlines become spaces.</summary>
    private static void Escape(StringBuilder builder, string text, bool measurementOnly)
    {
        foreach (var c in text)
        {
            if (c is ',' or ' ' || (c == '=' && !measurementOnly))
            {
                builder.Append('\\');
            }

            builder.Append(c is '\n' or '\r' ? ' ' : c);
        }
    }

    protected override int LoopCount(RuleRuntime runtime) => 1;

    protected override async Task SendAsync(ChannelReader<string> reader, CancellationToken cancellationToken)
    {
        var batch = new StringBuilder();
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.Count < batchSize)
            {
                // Linger: let the batch fill for at most the flush interval.
                await Task.Delay(TimeSpan.FromMilliseconds(flushIntervalMs), Runtime.TimeProvider, cancellationToken).ConfigureAwait(false);
            }

            batch.Clear();
            var lines = 0;
            while (lines < batchSize && reader.TryRead(out var line))
            {
                batch.Append(line).Append('\n');
                lines++;
            }

            var error = await Target.SendAsync(CreateRequest, Encoding.UTF8.GetBytes(batch.ToString()), cancellationToken).ConfigureAwait(false);
            Report(error is null ? null : $"InfluxDB write of {lines} points failed: {error}", lines);
            if (reader.Count == 0)
            {
                Overflow.Reset();
            }
        }
    }

    private HttpRequestMessage CreateRequest(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        return new HttpRequestMessage(HttpMethod.Post, writeUrl) { Content = content };
    }
}
