using IoTix.Web.Audit;
using System.Text;
using System.Text.Json;
using IoTix.Broker.Admin;
using IoTix.Web.Accounts;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>
/// Retained messages: list, payload preview (text, pretty JSON or hex) and a two-step delete (request, then confirm
/// or cancel).
/// </summary>
public sealed class RetainedMessagesViewModel(IBrokerAdmin admin, ConsoleAudit? audit = null)
{
    /// <summary>Payload bytes fetched per message for the preview.</summary>
    public const int PreviewBytes = 16 * 1024;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private IReadOnlyList<RetainedMessageInfo> _messages = [];

    public bool IsRunning => admin.IsRunning;

    public bool Loading { get; private set; }

    public bool Deleting { get; private set; }

    public string Search { get; set; } = "";

    /// <summary>Topic waiting for confirmation; null when no delete is pending.</summary>
    public string? PendingDelete { get; private set; }

    /// <summary>Topic whose payload is shown in full.</summary>
    public string? Selected { get; set; }

    public BrokerAdminResult? Message { get; private set; }

    public IReadOnlyList<RetainedMessageInfo> All => _messages;

    public IReadOnlyList<RetainedMessageInfo> Visible
    {
        get
        {
            var search = Search.Trim();
            if (search.Length == 0)
            {
                return _messages;
            }

            var result = new List<RetainedMessageInfo>();
            foreach (var message in _messages)
            {
                if (message.Topic.Contains(search, StringComparison.OrdinalIgnoreCase))
                {
                    result.Add(message);
                }
            }

            return result;
        }
    }

    public RetainedMessageInfo? SelectedMessage
    {
        get
        {
            foreach (var message in _messages)
            {
                if (message.Topic == Selected)
                {
                    return message;
                }
            }

            return null;
        }
    }

    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        Loading = true;
        try
        {
            _messages = await admin.GetRetainedMessagesAsync(PreviewBytes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Loading = false;
        }
    }

    public void RequestDelete(string topic)
    {
        PendingDelete = topic;
        Message = null;
    }

    public void CancelDelete() => PendingDelete = null;

    public async Task<BrokerAdminResult?> ConfirmDeleteAsync(CancellationToken cancellationToken = default)
    {
        if (PendingDelete is not { } topic)
        {
            return null;
        }

        if (await audit.PermissionRefusalAsync(Permissions.BrokerAdmin, "broker.retained.delete", topic, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            PendingDelete = null;
            return Message = new BrokerAdminResult(BrokerAdminError.Failed, refused);
        }

        Deleting = true;
        try
        {
            Message = await admin.DeleteRetainedMessageAsync(topic, cancellationToken).ConfigureAwait(false);
            await audit.AuditAsync("broker.retained.delete", topic, Message.Succeeded ? null : Message.Message, cancellationToken: cancellationToken).ConfigureAwait(false);
            PendingDelete = null;
            if (Selected == topic)
            {
                Selected = null;
            }

            await LoadAsync(cancellationToken).ConfigureAwait(false);
            return Message;
        }
        finally
        {
            Deleting = false;
        }
    }

    /// <summary>How a payload is shown.</summary>
    public enum PayloadKind
    {
        Empty,
        Json,
        Text,
        Binary,
    }

    /// <summary>The payload as JSON (indented), UTF-8 text, or hex; <paramref name="kind"/> says which.</summary>
    public static string Format(RetainedMessageInfo message, bool prettyJson, out PayloadKind kind)
    {
        ArgumentNullException.ThrowIfNull(message);
        var suffix = message.PreviewComplete ? "" : $"\n... ({message.PayloadBytes - message.Preview.Length} more bytes)";
        if (message.Preview.Length == 0)
        {
            kind = PayloadKind.Empty;
            return "(empty payload)";
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(message.Preview);
        }
        catch (DecoderFallbackException)
        {
            kind = PayloadKind.Binary;
            return Convert.ToHexString(message.Preview) + suffix;
        }

        if (message.PreviewComplete && LooksLikeJson(text))
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                kind = PayloadKind.Json;
                return prettyJson ? JsonSerializer.Serialize(document.RootElement, Indented) : text;
            }
            catch (JsonException)
            {
                // Not JSON after all: shown as text.
            }
        }

        kind = PayloadKind.Text;
        return text + suffix;
    }

    /// <summary>One line for the table: at most <paramref name="length"/> characters.</summary>
    public static string Preview(RetainedMessageInfo message, int length = 80)
    {
        var text = Format(message, prettyJson: false, out _).ReplaceLineEndings(" ");
        return text.Length <= length ? text : string.Concat(text.AsSpan(0, length), "...");
    }

    public static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KB",
        _ => $"{bytes / (1024.0 * 1024):0.#} MB",
    };

    private static bool LooksLikeJson(string text)
    {
        var trimmed = text.AsSpan().Trim();
        return trimmed.Length > 1 && ((trimmed[0] == '{' && trimmed[^1] == '}') || (trimmed[0] == '[' && trimmed[^1] == ']'));
    }
}
