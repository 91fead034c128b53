using IoTix.Broker.Security;
using MQTTnet.Protocol;

namespace IoTix.Broker.Admin;

/// <summary>
/// Read and administrative access to the running broker for the console: listeners, connected clients, their
/// subscriptions, retained messages, the loaded ACL. Expected failures (broker not running, unknown client or topic)
/// are <see cref="BrokerAdminResult"/> values, not exceptions. Lists are snapshots taken when called.
/// </summary>
public interface IBrokerAdmin
{
    /// <summary>True while the broker accepts MQTT connections.</summary>
    bool IsRunning { get; }

    /// <summary>Every configured listener (tcp, tls, ws, wss) with its address, port and whether it runs.</summary>
    IReadOnlyList<BrokerListenerInfo> GetListeners();

    /// <summary>Connected clients; empty when the broker is not running.</summary>
    Task<IReadOnlyList<BrokerClientInfo>> GetClientsAsync(CancellationToken cancellationToken = default);

    /// <summary>Subscriptions of every session the broker knows (connected or persistent), ordered by client then filter.</summary>
    Task<IReadOnlyList<BrokerSubscriptionInfo>> GetSubscriptionsAsync(CancellationToken cancellationToken = default);

    /// <summary>Retained messages, ordered by topic, with at most <paramref name="previewBytes"/> bytes of payload each.</summary>
    Task<IReadOnlyList<RetainedMessageInfo>> GetRetainedMessagesAsync(int previewBytes = 4096, CancellationToken cancellationToken = default);

    /// <summary>Deletes the retained message of <paramref name="topic"/> (also from the store) [MQTT-3.3.1-6].</summary>
    Task<BrokerAdminResult> DeleteRetainedMessageAsync(string topic, CancellationToken cancellationToken = default);

    /// <summary>Disconnects a client with DISCONNECT 0x98 Administrative action (MQTT 5; 3.1.1 clients are closed).</summary>
    Task<BrokerAdminResult> DisconnectClientAsync(string clientId, CancellationToken cancellationToken = default);

    /// <summary>The ACL rules as loaded, where they come from and when.</summary>
    BrokerAclInfo GetAcl();

    /// <summary>What the loaded ACL answers for <paramref name="action"/> on <paramref name="topic"/> (a topic name, or a filter for subscribe).</summary>
    AclTestResult TestAccess(string? userName, string clientId, string topic, AclAccess action);
}

/// <summary>Why an admin action did not happen.</summary>
public enum BrokerAdminError
{
    None,
    NotRunning,
    NotFound,
    InvalidArgument,
    Failed,
}

/// <summary>Outcome of an admin action; <see cref="Message"/> says in words what happened or why not.</summary>
public sealed record BrokerAdminResult(BrokerAdminError Error, string Message)
{
    public bool Succeeded => Error == BrokerAdminError.None;

    public static BrokerAdminResult Ok(string message) => new(BrokerAdminError.None, message);
}

public enum BrokerListenerState
{
    /// <summary>Bound and accepting connections.</summary>
    Listening,

    /// <summary>Configured but the broker is not running (disabled or stopped).</summary>
    Stopped,

    /// <summary>Port 0, or TLS without a certificate.</summary>
    Off,
}

/// <summary>One listener: <paramref name="Name"/> is tcp, tls, ws or wss; <paramref name="Note"/> explains an off state.</summary>
public sealed record BrokerListenerInfo(string Name, string Address, int Port, BrokerListenerState State, string Note);

/// <summary>A connected client.</summary>
public sealed record BrokerClientInfo(
    string ClientId,
    string Endpoint,
    string ProtocolVersion,
    string Listener,
    string? UserName,
    DateTimeOffset ConnectedSince,
    int SubscriptionCount,
    long PendingMessages,
    long MessagesReceived,
    long MessagesSent,
    long BytesReceived,
    long BytesSent);

/// <summary>One granted subscription of a session.</summary>
public sealed record BrokerSubscriptionInfo(string TopicFilter, string ClientId, MqttQualityOfServiceLevel QualityOfService, bool ClientConnected);

/// <summary>A retained message; <see cref="Preview"/> holds the first bytes of the payload (all of it when <see cref="PreviewComplete"/>).</summary>
public sealed record RetainedMessageInfo(
    string Topic,
    int PayloadBytes,
    MqttQualityOfServiceLevel QualityOfService,
    string? ContentType,
    byte[] Preview,
    bool PreviewComplete);

/// <summary>The ACL as the broker applies it now.</summary>
/// <param name="SourcePath">the ACL file; null when none is configured (everything allowed)</param>
/// <param name="LoadedAt">time of the last successful (re)load</param>
/// <param name="Version">number of successful loads since start</param>
public sealed record BrokerAclInfo(string? SourcePath, DateTimeOffset? LoadedAt, long Version, bool DefaultAllow, IReadOnlyList<AclRule> Rules);

/// <summary>Answer of <see cref="IBrokerAdmin.TestAccess"/>: allowed or not, and why in words.</summary>
public sealed record AclTestResult(bool Allowed, string Reason);
