using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace IoTix.Broker.Rules;

/// <summary>
/// <c>webhook</c> (FR-041): an HTTP POST/PUT of a rendered body (or the JSON envelope) to a rendered URL. Requests
/// wait in the action's bounded queue and go out from <c>Broker:Rules:WebhookConcurrency</c> loops through the
/// target's resilience pipeline, so a slow or dead receiver only fills this action's queue.
/// </summary>
internal sealed class WebhookAction(
    int index,
    string ruleId,
    RuleTemplate url,
    HttpMethod method,
    IReadOnlyList<(string Name, RuleTemplate Value)> headers,
    RuleTemplate? body,
    int timeoutMs,
    int retries,
    int retryDelayMs) : QueuedRuleAction<WebhookAction.WebhookRequest>(index, ruleId, url.Source, timeoutMs, retries, retryDelayMs)
{
    public override string Type => RuleActionTypes.Webhook;

    public override RuleActionPreview Preview(RuleMessage message)
    {
        var request = Render(message, out var error);
        if (request is null)
        {
            return new RuleActionPreview(Index, Type, url.Render(message), null, null, error);
        }

        var headerMap = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in request.Headers)
        {
            headerMap[name] = value;
        }

        return new RuleActionPreview(Index, Type, $"{method.Method} {request.Url}", Encoding.UTF8.GetString(request.Body), headerMap, null);
    }

    internal override WebhookRequest? Render(RuleMessage message, out string? error)
    {
        var target = url.Render(message);
        if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            error = $"url renders as '{target}', not an http(s) URL";
            return null;
        }

        var rendered = new (string, string)[headers.Count];
        for (var i = 0; i < headers.Count; i++)
        {
            rendered[i] = (headers[i].Name, headers[i].Value.Render(message));
        }

        var content = body is null ? Envelope(message) : Encoding.UTF8.GetBytes(body.Render(message));
        error = null;
        return new WebhookRequest(uri, rendered, content);
    }

    /// <summary>The default body: the message as JSON, its payload embedded as JSON when it is JSON, else as a string.</summary>
    internal static byte[] Envelope(RuleMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (int)message.Payload.Length);
        using (var writer = new Utf8JsonWriter(buffer, FunctionNode.RelaxedJson))
        {
            writer.WriteStartObject();
            writer.WriteString("rule", message.RuleId);
            writer.WriteString("topic", message.Topic);
            writer.WriteString("clientId", message.ClientId);
            writer.WriteNumber("qos", message.QualityOfService);
            writer.WriteBoolean("retain", message.Retain);
            writer.WriteNumber("timestamp", message.Timestamp);
            writer.WritePropertyName("payload");
            if (message.Json is { } json)
            {
                json.WriteTo(writer);
            }
            else
            {
                writer.WriteStringValue(message.PayloadText);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    protected override int LoopCount(RuleRuntime runtime) => runtime.Options.WebhookConcurrency;

    protected override async Task SendAsync(ChannelReader<WebhookRequest> reader, CancellationToken cancellationToken)
    {
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var request))
            {
                Report(await Target.SendAsync(CreateRequest, request, cancellationToken).ConfigureAwait(false), 1);
            }

            Overflow.Reset();
        }
    }

    private HttpRequestMessage CreateRequest(WebhookRequest request)
    {
        var message = new HttpRequestMessage(method, request.Url) { Content = new ByteArrayContent(request.Body) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in request.Headers)
        {
            if (string.Equals(name, "Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                message.Content.Headers.ContentType = MediaTypeHeaderValue.TryParse(value, out var type) ? type : message.Content.Headers.ContentType;
            }
            else if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                message.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return message;
    }

    internal sealed record WebhookRequest(Uri Url, (string Name, string Value)[] Headers, byte[] Body);
}
