using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace IoTix.Broker.History;

/// <summary>
/// Where the message history lives (FR-030, FR-031). The host registers one (IoTix.Web: the database); without one
/// nothing is captured. The broker calls <see cref="AppendAsync"/> from its background writer, never on the MQTT
/// path. Expected failures are values: an unavailable store answers false or null, it does not throw (FR-043a).
/// </summary>
public interface IHistoryStore
{
    /// <summary>Stores captured messages, in order. False when the store is unavailable (they are not stored).</summary>
    Task<bool> AppendAsync(IReadOnlyList<HistoryMessage> messages, CancellationToken cancellationToken = default);

    /// <summary>
    /// Messages matching <paramref name="query"/>, ordered by time then capture order, one page; null when the store is
    /// unavailable.
    /// </summary>
    Task<HistoryPage?> QueryAsync(HistoryQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes messages captured before <paramref name="olderThan"/>, then the oldest beyond <paramref name="maxMessages"/>.
    /// The number deleted; null when the store is unavailable.
    /// </summary>
    Task<long?> PurgeAsync(DateTimeOffset olderThan, long maxMessages, CancellationToken cancellationToken = default);
}

/// <summary>A captured PUBLISH: when, who published it, and the message.</summary>
/// <param name="Id">assigned by the store (0 before it is stored); increases in capture order</param>
/// <param name="Timestamp">when the broker received it (the broker's <see cref="TimeProvider"/>)</param>
/// <param name="ClientId">the publisher's client id (for messages the broker publishes itself: its internal sender id)</param>
public sealed record HistoryMessage(long Id, DateTimeOffset Timestamp, string ClientId, CapturedMessage Message);

/// <summary>
/// A history query: messages whose topic matches <paramref name="TopicFilter"/> (MQTT wildcards + and #), received in
/// [<paramref name="From"/>, <paramref name="To"/>), after <paramref name="After"/> (keyset paging) or skipping
/// <paramref name="Offset"/> matches, at most <paramref name="Limit"/>.
/// </summary>
/// <param name="Tenant">
/// the tenant whose messages are read (the store attributes each message to the tenant of its topic's namespace,
/// <see cref="Security.TenantTopics"/>); null: the tenant the host's caller acts for
/// </param>
public sealed record HistoryQuery(string TopicFilter, DateTimeOffset? From, DateTimeOffset? To, HistoryCursor? After, int Offset, int Limit, string? Tenant = null);

/// <summary>One page of a query; <paramref name="Next"/> continues after its last message (null at the end).</summary>
public sealed record HistoryPage(IReadOnlyList<HistoryMessage> Items, HistoryCursor? Next);

/// <summary>Position after a message in query order (time, then id); its text form is opaque to API callers.</summary>
public readonly record struct HistoryCursor(DateTimeOffset Timestamp, long Id)
{
    public static HistoryCursor After(HistoryMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new HistoryCursor(message.Timestamp, message.Id);
    }

    /// <summary>"&lt;unix microseconds&gt;.&lt;id&gt;" in base64url.</summary>
    public string Format()
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{(Timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10}.{Id}");
        return Base64Url.EncodeToString(Encoding.ASCII.GetBytes(text));
    }

    public static bool TryParse(string? text, out HistoryCursor cursor)
    {
        cursor = default;
        if (string.IsNullOrEmpty(text) || text.Length > 64)
        {
            return false;
        }

        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return false;
        }

        var parts = Encoding.ASCII.GetString(bytes).Split('.');
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var micros)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            || micros > (DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10)
        {
            return false;
        }

        cursor = new HistoryCursor(new DateTimeOffset(DateTimeOffset.UnixEpoch.UtcTicks + (micros * 10), TimeSpan.Zero), id);
        return true;
    }
}
