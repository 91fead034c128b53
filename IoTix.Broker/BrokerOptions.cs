using System.Net;

namespace IoTix.Broker;

/// <summary>Settings of the hosted MQTT broker (configuration section <c>Broker</c>).</summary>
public sealed class BrokerOptions
{
    public const string SectionName = "Broker";

    /// <summary>Starts the broker with the host. <c>Broker:Enabled</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Address every listener binds to. Loopback by default, like mosquitto 2. <c>Broker:BindAddress</c>.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// Accept clients without a user name. Unset: allowed on loopback only; binding beyond loopback then
    /// requires <c>Broker:Users</c> or an explicit <c>true</c>. <c>Broker:AllowAnonymous</c>.
    /// </summary>
    public bool? AllowAnonymous { get; set; }

    public BrokerListenersOptions Listeners { get; set; } = new();

    public BrokerTlsOptions Tls { get; set; } = new();

    /// <summary>What a CONNECT with the client id of a connected client does [MQTT-3.1.4-2]. <c>Broker:DuplicateClientId</c>.</summary>
    public DuplicateClientIdPolicy DuplicateClientId { get; set; } = DuplicateClientIdPolicy.Takeover;

    /// <summary>Largest accepted PUBLISH payload in bytes (FR-014a). <c>Broker:MaxPayloadBytes</c>.</summary>
    public int MaxPayloadBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// Largest accepted MQTT packet in bytes, announced to MQTT 5 clients in CONNACK (Maximum Packet Size) and enforced
    /// from each packet's fixed header before its body is read: <see cref="MaxPayloadBytes"/> plus 64 KiB for the fixed
    /// and variable header (topic, packet id, properties), at most the MQTT maximum of 268,435,460.
    /// </summary>
    public uint MaxPacketBytes => PacketBytesFor(MaxPayloadBytes);

    /// <summary>The packet limit that goes with a payload limit (see <see cref="MaxPacketBytes"/>).</summary>
    internal static uint PacketBytesFor(int maxPayloadBytes) => (uint)Math.Min((long)maxPayloadBytes + PacketOverheadBytes, MqttMaxPacketBytes);

    internal const int PacketOverheadBytes = 64 * 1024;

    private const long MqttMaxPacketBytes = 268_435_455 + 5;

    /// <summary>
    /// MQTT 5 Server Keep Alive in seconds (3.2.2.3.14): sent in every MQTT 5 CONNACK and enforced instead of the
    /// Keep Alive the client asked for (disconnect after 1.5 times it without a packet). 0 = off: each client's own
    /// Keep Alive applies (MQTT 3.1.1 clients always use their own). <c>Broker:ServerKeepAliveSeconds</c>.
    /// </summary>
    public uint ServerKeepAliveSeconds { get; set; }

    /// <summary>Bound of each session's outgoing queue; when full the oldest queued message is dropped. <c>Broker:MaxPendingMessagesPerClient</c>.</summary>
    public int MaxPendingMessagesPerClient { get; set; } = 10_000;

    /// <summary>Longest session expiry the broker grants, in seconds (FR-018: 0 to 7 days). <c>Broker:MaxSessionExpirySeconds</c>.</summary>
    public uint MaxSessionExpirySeconds { get; set; } = 7 * 24 * 3600;

    /// <summary>Session expiry of MQTT 3.1.1 clients that connect with CleanSession=0, in seconds. <c>Broker:PersistentSessionExpirySeconds</c>.</summary>
    public uint PersistentSessionExpirySeconds { get; set; } = 7 * 24 * 3600;

    public ConnectionRateLimitOptions ConnectionRateLimit { get; set; } = new();

    public BrokerPersistenceOptions Persistence { get; set; } = new();

    public BrokerTraceOptions Trace { get; set; } = new();

    /// <summary>Users allowed to connect with a password. <c>Broker:Users</c>.</summary>
    public List<BrokerUser> Users { get; set; } = [];

    /// <summary>Topic ACL file (JSON or mosquitto-like text), reloaded on change. Empty: every topic allowed. <c>Broker:AclFile</c>.</summary>
    public string? AclFile { get; set; }

    /// <summary>Seconds the broker waits on shutdown for queued messages to drain before disconnecting clients. <c>Broker:ShutdownDrainSeconds</c>.</summary>
    public int ShutdownDrainSeconds { get; set; } = 5;

    /// <summary>The effective anonymous policy: explicit value, else allowed only when bound to loopback.</summary>
    public bool IsAnonymousAllowed => AllowAnonymous ?? IsLoopbackBinding;

    public bool IsLoopbackBinding => IPAddress.TryParse(BindAddress, out var address) && IPAddress.IsLoopback(address);
}

public enum DuplicateClientIdPolicy
{
    /// <summary>Disconnect the connected client (reason 0x8E Session taken over), accept the new one.</summary>
    Takeover,

    /// <summary>Refuse the new connection (0x85 Client Identifier not valid / 3.1.1 0x02), keep the connected one.</summary>
    Reject,
}

public sealed class BrokerListenersOptions
{
    /// <summary>MQTT over TCP. <c>Broker:Listeners:Tcp:Port</c>, 0 disables.</summary>
    public BrokerListenerOptions Tcp { get; set; } = new() { Port = 1883 };

    /// <summary>MQTT over TLS, only when <c>Broker:Tls:CertificateFile</c> is set. <c>Broker:Listeners:Tls:Port</c>.</summary>
    public BrokerListenerOptions Tls { get; set; } = new() { Port = 8883 };

    /// <summary>MQTT over WebSocket (path /mqtt), served by the web host's Kestrel. <c>Broker:Listeners:WebSocket:Port</c>.</summary>
    public BrokerListenerOptions WebSocket { get; set; } = new() { Port = 8083 };

    /// <summary>MQTT over secure WebSocket, only with a certificate. <c>Broker:Listeners:SecureWebSocket:Port</c>.</summary>
    public BrokerListenerOptions SecureWebSocket { get; set; } = new() { Port = 8084 };
}

public sealed class BrokerListenerOptions
{
    /// <summary>TCP port; 0 disables the listener.</summary>
    public int Port { get; set; }

    public bool IsEnabled => Port != 0;
}

public sealed class BrokerTlsOptions
{
    /// <summary>PEM server certificate (chain). <c>Broker:Tls:CertificateFile</c>.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>PEM private key of the certificate. <c>Broker:Tls:KeyFile</c>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>PEM CA that signs client certificates; set it to accept client certificates (mutual TLS). <c>Broker:Tls:ClientCaFile</c>.</summary>
    public string? ClientCaFile { get; set; }

    /// <summary>Refuse TLS clients without a certificate signed by <see cref="ClientCaFile"/>. <c>Broker:Tls:RequireClientCertificate</c>.</summary>
    public bool RequireClientCertificate { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(CertificateFile);
}

public sealed class ConnectionRateLimitOptions
{
    /// <summary>New connections accepted per second and source IP (FR-014b); 0 disables. <c>Broker:ConnectionRateLimit:PerIpPerSecond</c>.</summary>
    public int PerIpPerSecond { get; set; } = 100;

    /// <summary>Connections of one IP held back waiting for their turn; more are closed. <c>Broker:ConnectionRateLimit:MaxQueuedPerIp</c>.</summary>
    public int MaxQueuedPerIp { get; set; } = 1000;

    /// <summary>
    /// Loopback addresses (127.0.0.0/8, ::1) are not limited, so a simulator on the same machine
    /// can open thousands of device connections in a burst; remote clients still are.
    /// <c>Broker:ConnectionRateLimit:ExemptLoopback</c>.
    /// </summary>
    public bool ExemptLoopback { get; set; } = true;
}

/// <summary>A user of <c>Broker:Users</c>: a name and a PBKDF2 hash (`iotix broker hash-password`).</summary>
public sealed class BrokerUser
{
    public string Username { get; set; } = "";

    /// <summary>ASP.NET Core Identity v3 format (base64 of 0x01, PRF, iterations, salt, subkey).</summary>
    public string PasswordHash { get; set; } = "";

    /// <summary>
    /// The tenant this user belongs to (<c>Broker:Users:N:Tenant</c>), or empty for a platform user. A tenant's user
    /// may only publish and subscribe under <c>tenants/{tenant}/</c>, whatever the ACL says (the ACL still applies inside).
    /// </summary>
    public string? Tenant { get; set; }
}

/// <summary>Persistence of retained messages and sessions through the host's store (FR-004, FR-015..FR-017).</summary>
public sealed class BrokerPersistenceOptions
{
    /// <summary>Persist retained messages and persistent sessions when the host provides a store. <c>Broker:Persistence:Enabled</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Bound of the write-behind queue; when full, new changes are not persisted (counted). <c>Broker:Persistence:QueueCapacity</c>.</summary>
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>Changes written per store call. <c>Broker:Persistence:BatchSize</c>.</summary>
    public int BatchSize { get; set; } = 500;
}

/// <summary>Packet tracing (FR-028), reloaded when the configuration changes; see <see cref="Observability.IBrokerTrace"/>.</summary>
public sealed class BrokerTraceOptions
{
    /// <summary>Topic filters whose PUBLISH packets are traced. <c>Broker:Trace:TopicFilters</c>.</summary>
    public List<string> TopicFilters { get; set; } = [];

    /// <summary>Client ids whose packets (all types) are traced. <c>Broker:Trace:ClientIds</c>.</summary>
    public List<string> ClientIds { get; set; } = [];

    /// <summary>Bytes of payload shown in trace lines (text, else hex); 0 = none. <c>Broker:Trace:PayloadPreviewBytes</c>.</summary>
    public int PayloadPreviewBytes { get; set; }
}
