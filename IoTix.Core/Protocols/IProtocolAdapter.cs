using IoTix.Core.Models;

namespace IoTix.Core.Protocols;

/// <summary>
/// A protocol adapter (MQTT, CoAP, HTTP, or a third party's): creates one
/// <see cref="IDeviceConnection"/> per simulated device. Register implementations in DI as
/// <c>services.AddSingleton&lt;IProtocolAdapter, MyAdapter&gt;()</c>; the engine picks the adapter whose
/// <see cref="Protocol"/> equals the model's <c>protocol</c> (case-insensitive). The last one
/// registered for a name wins, so a plugin can replace a built-in adapter.
/// </summary>
public interface IProtocolAdapter
{
    /// <summary>The model <c>protocol</c> value this adapter serves: <c>mqtt</c>, <c>coap</c>, <c>http</c>.</summary>
    string Protocol { get; }

    /// <summary>
    /// Creates the connection of one device (not yet connected). Called on the API thread when the
    /// device is created, before it is registered: must be cheap and must not do I/O.
    /// </summary>
    IDeviceConnection CreateConnection(DeviceConnectionContext context);

    /// <summary>Counters of this adapter over all its connections (a snapshot).</summary>
    ProtocolAdapterMetrics GetMetrics();
}

/// <summary>What an adapter knows of the device it connects.</summary>
public sealed class DeviceConnectionContext
{
    public required string DeviceId { get; init; }

    /// <summary>The device's index in its group.</summary>
    public required int Index { get; init; }

    public string? GroupId { get; init; }

    public required DeviceModel Model { get; init; }

    /// <summary>The client id rendered from <c>connection.clientIdPattern</c> (default: the device id).</summary>
    public required string ClientId { get; init; }

    /// <summary>Where the connection reports received commands and lost connections. Called from any thread.</summary>
    public required IDeviceConnectionEvents Events { get; init; }

    /// <summary>Per-connection bound of messages accepted by <see cref="IDeviceConnection.TryPublish"/> but not yet sent.</summary>
    public int OutboundQueueLimit { get; init; } = 1000;

    /// <summary>What <see cref="IDeviceConnection.TryPublish"/> does when the outbound queue is full.</summary>
    public OutboundOverflow OutboundOverflow { get; init; } = OutboundOverflow.DropNewest;

    /// <summary>
    /// Where this device connects instead of its model's address (a run's or group's override,
    /// <c>host</c> or <c>host:port</c>); null uses the normal resolution (see <see cref="EndpointResolver"/>).
    /// </summary>
    public string? EndpointOverride { get; init; }

    /// <summary>
    /// The user name and password this device connects with instead of its model's <c>connection.credentials</c>
    /// (a group's or device's override, see <c>Devices.DeviceGroupSpec.CredentialsOverride</c>); null: the model's.
    /// </summary>
    public ConnectionCredentials? CredentialsOverride { get; init; }

    /// <summary>
    /// Where the connection records the latency of acknowledged publishes (MQTT QoS 1/2: PUBLISH written
    /// -> PUBACK/PUBCOMP): the engine passes the device's group histogram (feeding the engine's total);
    /// null when nobody collects. Adapters without acknowledgements ignore it.
    /// </summary>
    public PublishLatencyHistogram? PublishLatency { get; init; }

    /// <summary>
    /// The device's namespace (e.g. <c>tenants/acme/</c>; empty for none, see <c>Devices.DeviceNamespace</c>): MQTT
    /// adapters put it in front of every topic they subscribe or publish of their own (<see cref="RenderTopic"/>);
    /// <see cref="ClientId"/> already carries it. <see cref="DeviceId"/> and <see cref="GroupId"/> are the ids inside
    /// the namespace. Paths of CoAP and HTTP are not topics and ignore it.
    /// </summary>
    public string TopicNamespace { get; init; } = string.Empty;

    /// <summary>Renders a model pattern (<c>${deviceId}</c>, <c>${index}</c>, <c>${groupId}</c>) for this device.</summary>
    public string Render(string pattern) =>
        ModelTemplate.Parse(pattern).RenderForDevice(DeviceId, Index, GroupId);

    /// <summary>Renders a model topic pattern for this device, inside its <see cref="TopicNamespace"/>.</summary>
    public string RenderTopic(string pattern) => TopicNamespace.Length == 0 ? Render(pattern) : string.Concat(TopicNamespace, Render(pattern));
}

/// <summary>What a full outbound queue does with a new message.</summary>
public enum OutboundOverflow
{
    /// <summary>Refuse the new message (<see cref="PublishStatus.QueueFull"/>); queued messages keep their order.</summary>
    DropNewest,

    /// <summary>Discard the oldest queued message to make room; the new one is accepted.</summary>
    DropOldest,
}

/// <summary>Callbacks from a connection into its device. Thread-safe; they never block.</summary>
public interface IDeviceConnectionEvents
{
    /// <summary>
    /// A command arrived for the device (matched to the model's command by name). The payload is
    /// only valid during the call; the engine copies it and runs the device's behaviours on the
    /// scheduler's loop thread.
    /// </summary>
    void CommandReceived(string commandName, ReadOnlySpan<byte> payload);

    /// <summary>
    /// A command that expects an answer arrived: an MQTT 5 request with a Response Topic and (optionally) Correlation
    /// Data [MQTT-4.10]. The spans are valid only during the call. The engine answers through
    /// <see cref="IDeviceConnection.TryPublishResponse"/> when the model declares the command's <c>response</c>.
    /// Adapters without request/response call the two-argument overload; by default this one forwards to it.
    /// </summary>
    void CommandReceived(string commandName, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> responseTopic, ReadOnlySpan<byte> correlationData) =>
        CommandReceived(commandName, payload);

    /// <summary>The connection was lost without the engine asking (broker closed it, network error).</summary>
    void ConnectionLost(string reason);

    /// <summary>
    /// The connection was lost without the engine asking; with <paramref name="reconnect"/> the
    /// adapter asks to be reconnected: the engine moves the device running -> dropped ->
    /// reconnecting and calls <see cref="IDeviceConnection.ConnectAsync"/> again at once, and the
    /// adapter's connect waits out its own backoff. Without it (and by default) the device stays dropped.
    /// </summary>
    void ConnectionLost(string reason, bool reconnect) => ConnectionLost(reason);
}

/// <summary>Counters of one adapter.</summary>
public readonly record struct ProtocolAdapterMetrics(
    long Connections,
    long ConnectFailures,
    long MessagesPublished,
    long MessagesDropped,
    long BytesPublished,
    long CommandsReceived)
{
    /// <summary>Failed publishes by reason (adapters that split them; zeros otherwise).</summary>
    public PublishFailureCounts Failures { get; init; }

    /// <summary>Latency of acknowledged publishes over all connections, or null when the adapter does not measure it.</summary>
    public PublishLatencySnapshot? PublishLatency { get; init; }

    /// <summary>Transport connections open now, including those still draining after a graceful stop (0 for adapters without connections).</summary>
    public long OpenConnections { get; init; }
}

/// <summary>
/// Why messages failed, by reason. <see cref="NotConnected"/> is refused at the door (the engine counts it as
/// failed); the others are messages the adapter had accepted or refused for a cause of its own, and together
/// make <see cref="ProtocolAdapterMetrics.MessagesDropped"/> (<see cref="Dropped"/>).
/// </summary>
/// <param name="NotConnected">Published while the connection was down.</param>
/// <param name="QueueFull">The outbound queue was full (the peer acknowledged too slowly for the inflight window) and the overflow behaviour dropped a message.</param>
/// <param name="Rejected">Refused before sending: larger than the server's maximum packet size, an invalid topic, retain not available.</param>
/// <param name="Unsent">Queued but never written: the connection closed or was lost first.</param>
/// <param name="Unacknowledged">Written but never acknowledged: the connection closed, was lost or the graceful-stop drain ran out before PUBACK/PUBCOMP (or the CoAP/HTTP exchange timed out).</param>
/// <param name="RefusedByPeer">Acknowledged with a failure reason code (MQTT 5 PUBACK/PUBREC 0x80 and above, HTTP non-2xx, CoAP 4.xx/5.xx).</param>
public readonly record struct PublishFailureCounts(
    long NotConnected,
    long QueueFull,
    long Rejected,
    long Unsent,
    long Unacknowledged,
    long RefusedByPeer)
{
    /// <summary>Everything except <see cref="NotConnected"/>.</summary>
    public long Dropped => QueueFull + Rejected + Unsent + Unacknowledged + RefusedByPeer;

    /// <summary>Accepted (counted as sent by the engine) but never delivered: <see cref="Unsent"/>, <see cref="Unacknowledged"/>, <see cref="RefusedByPeer"/>.</summary>
    public long Lost => Unsent + Unacknowledged + RefusedByPeer;

    public PublishFailureCounts Add(PublishFailureCounts other) => this + other;

    public static PublishFailureCounts operator +(PublishFailureCounts a, PublishFailureCounts b) => new(
        a.NotConnected + b.NotConnected,
        a.QueueFull + b.QueueFull,
        a.Rejected + b.Rejected,
        a.Unsent + b.Unsent,
        a.Unacknowledged + b.Unacknowledged,
        a.RefusedByPeer + b.RefusedByPeer);
}
