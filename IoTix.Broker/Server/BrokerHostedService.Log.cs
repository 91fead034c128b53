using Microsoft.Extensions.Logging;

namespace IoTix.Broker.Server;

internal sealed partial class BrokerHostedService
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "MQTT broker disabled (Broker:Enabled=false)")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "MQTT broker started: {Listeners}; anonymous {Anonymous}, {UserCount} users, ACL {Acl}")]
    private static partial void LogStarted(ILogger logger, string listeners, bool anonymous, int userCount, string acl);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "MQTT over TLS is off: set Broker:Tls:CertificateFile and Broker:Tls:KeyFile (PEM) to enable ports {TlsPort} and {SecureWebSocketPort}")]
    private static partial void LogTlsOff(ILogger logger, int tlsPort, int secureWebSocketPort);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "MQTT broker stopping: draining queued messages for up to {DrainSeconds} s, then disconnecting {ClientCount} clients (0x8B Server shutting down)")]
    private static partial void LogStopping(ILogger logger, int drainSeconds, int clientCount);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "MQTT broker stopped")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Client {ClientId} connected from {RemoteEndPoint} on {Listener} (MQTT {ProtocolVersion}, user {UserName})")]
    private static partial void LogClientConnected(ILogger logger, string clientId, string remoteEndPoint, string listener, string protocolVersion, string userName);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Client {ClientId} disconnected from {RemoteEndPoint}: {DisconnectType}, reason {ReasonCode}")]
    private static partial void LogClientDisconnected(ILogger logger, string clientId, string remoteEndPoint, string disconnectType, string reasonCode);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Client {ClientId} from {RemoteEndPoint} on {Listener} refused: {ReasonCode} (user {UserName})")]
    private static partial void LogConnectionRefused(ILogger logger, string clientId, string remoteEndPoint, string listener, string reasonCode, string userName);

    [LoggerMessage(EventId = 1019, Level = LogLevel.Warning, Message = "Client {ClientId} of user {UserName} refused: 0x85 Client Identifier not valid, a user of tenant {Tenant} connects only with a client id under {Prefix} (from {RemoteEndPoint} on {Listener})")]
    private static partial void LogTenantClientIdRefused(ILogger logger, string clientId, string userName, string tenant, string prefix, string remoteEndPoint, string listener);

    [LoggerMessage(EventId = 1018, Level = LogLevel.Warning, Message = "Client {ClientId} of user {UserName} refused: 0x85 Client Identifier not valid, a client id in a tenant's namespace (tenants/...) is for that tenant's users only (from {RemoteEndPoint} on {Listener})")]
    private static partial void LogTenantNamespaceRefused(ILogger logger, string clientId, string userName, string remoteEndPoint, string listener);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Warning, Message = "Client {ClientId} of user {UserName} dropped: the user was revoked while it connected")]
    private static partial void LogRevokedUserDropped(ILogger logger, string clientId, string userName);

    [LoggerMessage(EventId = 1017, Level = LogLevel.Warning, Message = "Dropping client {ClientId} of the revoked user {UserName} failed")]
    private static partial void LogRevokedUserDropFailed(ILogger logger, Exception exception, string clientId, string userName);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Information, Message = "Client from {RemoteEndPoint} on {Listener} connected with an empty client id; assigned {ClientId}")]
    private static partial void LogClientIdAssigned(ILogger logger, string remoteEndPoint, string listener, string clientId);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "Client {ClientId} disconnected: packet or payload of {PayloadBytes} bytes exceeds the limit set by Broker:MaxPayloadBytes")]
    private static partial void LogPayloadTooLarge(ILogger logger, string clientId, long payloadBytes);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Debug, Message = "Client {ClientId} (user {UserName}) denied publish to {Topic} by ACL")]
    private static partial void LogPublishDenied(ILogger logger, string clientId, string userName, string topic);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Debug, Message = "Client {ClientId} (user {UserName}) denied subscription to {TopicFilter} by ACL")]
    private static partial void LogSubscribeDenied(ILogger logger, string clientId, string userName, string topicFilter);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Error, Message = "Publishing the delayed will of client {ClientId} failed")]
    private static partial void LogWillFailed(ILogger logger, Exception exception, string clientId);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Warning, Message = "Retained message store unavailable, retained messages stay in memory only: {Error}")]
    private static partial void LogRetainedStoreFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 1031, Level = LogLevel.Debug, Message = "Retained message on {Topic} expired and was deleted")]
    private static partial void LogRetainedExpired(ILogger logger, string topic);

    [LoggerMessage(EventId = 1032, Level = LogLevel.Warning, Message = "Deleting the expired retained message on {Topic} failed")]
    private static partial void LogRetainedExpiryFailed(ILogger logger, Exception exception, string topic);

    [LoggerMessage(EventId = 1033, Level = LogLevel.Warning, Message = "Session store unavailable at start, persistent sessions of the previous run are not restored: {Error}")]
    private static partial void LogSessionStoreFailed(ILogger logger, string error);
}
