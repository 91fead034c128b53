using System.Buffers;
using System.Text;
using System.Text.Json;
using MQTTnet;

namespace IoTix.Broker.Rules;

/// <summary>
/// The message a rule is evaluated against, reused by one worker for message after message: the payload is parsed
/// as JSON at most once (on first use) and topic levels are located once, so every rule of the message shares them.
/// </summary>
internal sealed class RuleMessage : IDisposable
{
    private readonly List<int> _levelStarts = [];
    private ReadOnlySequence<byte> _payload;
    private JsonDocument? _document;
    private bool _parsed;
    private string? _payloadText;

    public string Topic { get; private set; } = "";

    public string? ClientId { get; private set; }

    public string? UserName { get; private set; }

    public int QualityOfService { get; private set; }

    public bool Retain { get; private set; }

    /// <summary>Receipt time, Unix milliseconds.</summary>
    public long Timestamp { get; private set; }

    /// <summary>The rule being evaluated (its id is available to templates as <c>rule</c>).</summary>
    public string RuleId { get; set; } = "";

    public ReadOnlySequence<byte> Payload => _payload;

    public void Reset(MqttApplicationMessage message, string? clientId, string? userName, long timestamp)
    {
        ArgumentNullException.ThrowIfNull(message);
        Reset(message.Topic, message.Payload, clientId, userName, (int)message.QualityOfServiceLevel, message.Retain, timestamp);
    }

    public void Reset(string topic, ReadOnlySequence<byte> payload, string? clientId, string? userName, int qos, bool retain, long timestamp)
    {
        Clear();
        Topic = topic;
        _payload = payload;
        ClientId = clientId;
        UserName = userName;
        QualityOfService = qos;
        Retain = retain;
        Timestamp = timestamp;
    }

    /// <summary>The payload's JSON root, or null when the payload is not JSON.</summary>
    public JsonElement? Json
    {
        get
        {
            if (!_parsed)
            {
                _parsed = true;
                try
                {
                    if (!_payload.IsEmpty)
                    {
                        _document = JsonDocument.Parse(_payload);
                    }
                }
                catch (JsonException)
                {
                    _document = null;
                }
            }

            return _document?.RootElement;
        }
    }

    /// <summary>The payload as UTF-8 text (decoded once).</summary>
    public string PayloadText => _payloadText ??= _payload.IsEmpty ? "" : Encoding.UTF8.GetString(_payload);

    /// <summary>Level <paramref name="index"/> of the topic (negative: from the end); false when there is none.</summary>
    public bool TryGetLevel(int index, out int start, out int length)
    {
        if (_levelStarts.Count == 0)
        {
            _levelStarts.Add(0);
            for (var i = 0; i < Topic.Length; i++)
            {
                if (Topic[i] == '/')
                {
                    _levelStarts.Add(i + 1);
                }
            }
        }

        var count = _levelStarts.Count;
        if (index < 0)
        {
            index += count;
        }

        if (index < 0 || index >= count)
        {
            start = 0;
            length = 0;
            return false;
        }

        start = _levelStarts[index];
        length = (index + 1 < count ? _levelStarts[index + 1] - 1 : Topic.Length) - start;
        return true;
    }

    public void Clear()
    {
        _document?.Dispose();
        _document = null;
        _parsed = false;
        _payloadText = null;
        _levelStarts.Clear();
        _payload = default;
    }

    public void Dispose() => Clear();
}
