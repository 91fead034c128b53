namespace IoTix.Core.Protocols;

/// <summary>
/// One device's connection, created by an <see cref="IProtocolAdapter"/>. The engine calls it from
/// the scheduler's loop thread (one call at a time per connection), and the loop must never block:
/// <see cref="ConnectAsync"/> and <see cref="DisconnectAsync"/> run their I/O off the loop (the
/// engine does not await them on the loop), and <see cref="TryPublish"/> only hands the message
/// over (to an outbound queue bounded by <see cref="DeviceConnectionContext.OutboundQueueLimit"/>).
/// </summary>
public interface IDeviceConnection : IAsyncDisposable
{
    /// <summary>True between a successful connect and a disconnect or a lost connection.</summary>
    bool IsConnected { get; }

    /// <summary>Connects (MQTT CONNECT, CoAP/HTTP endpoint check ...). Failures are values, not exceptions.</summary>
    ValueTask<ConnectResult> ConnectAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Hands one message to the connection without blocking. <paramref name="payload"/> is a pooled
    /// buffer owned by the engine and valid ONLY during this call: an adapter that sends later must
    /// copy it (into its own pooled buffer). <paramref name="topic"/> is immutable and may be kept.
    /// </summary>
    /// <param name="topic">MQTT topic, or the path part of a CoAP/HTTP resource.</param>
    /// <param name="payload">The message bytes.</param>
    /// <param name="qos">MQTT QoS 0, 1 or 2 (adapters without QoS map 1 and 2 to confirmable/acknowledged sends).</param>
    /// <param name="retain">MQTT retain flag.</param>
    PublishStatus TryPublish(string topic, ReadOnlySpan<byte> payload, int qos, bool retain);

    /// <summary>
    /// Hands over the answer to a request (see <see cref="IDeviceConnectionEvents.CommandReceived(string, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>):
    /// published to <paramref name="topic"/> (the request's Response Topic) carrying <paramref name="correlationData"/>
    /// and <paramref name="status"/> (MQTT 5: Correlation Data and a <c>status</c> user property). Same buffer rules as
    /// <see cref="TryPublish"/>. Adapters without MQTT 5 properties keep the default: a plain publish.
    /// </summary>
    PublishStatus TryPublishResponse(string topic, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> correlationData, int status, int qos) =>
        TryPublish(topic, payload, qos, retain: false);

    /// <summary>
    /// Closes the connection. <see cref="DisconnectMode.Graceful"/> sends a proper close (MQTT
    /// DISCONNECT: the broker discards the last will); <see cref="DisconnectMode.Abrupt"/> drops
    /// the transport without a goodbye, as a lost network would, so an MQTT broker publishes the
    /// device's last will.
    /// </summary>
    ValueTask DisconnectAsync(DisconnectMode mode, CancellationToken cancellationToken = default);
}

/// <summary>How a connection is closed.</summary>
public enum DisconnectMode
{
    Graceful,
    Abrupt,
}

/// <summary>What happened to one <see cref="IDeviceConnection.TryPublish"/>.</summary>
public enum PublishStatus
{
    /// <summary>Handed over; it counts as sent.</summary>
    Accepted,

    /// <summary>Not connected; nothing was queued.</summary>
    NotConnected,

    /// <summary>The outbound queue was full and the overflow behaviour refused the message.</summary>
    QueueFull,

    /// <summary>The adapter rejected the message (too large, invalid topic ...).</summary>
    Rejected,
}

/// <summary>The outcome of a connect attempt.</summary>
/// <param name="Succeeded">True when connected.</param>
/// <param name="Error">Why not, when not.</param>
public readonly record struct ConnectResult(bool Succeeded, string? Error)
{
    public static ConnectResult Success => new(true, null);

    public static ConnectResult Failure(string error) => new(false, error);
}
