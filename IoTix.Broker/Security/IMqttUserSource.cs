namespace IoTix.Broker.Security;

/// <summary>
/// MQTT users managed at run time (the host's database: a tenant's MQTT users), consulted by the broker after the
/// users of <c>Broker:Users</c> (a configured user of the same name wins). Lookups run on every CONNECT, so an
/// implementation answers from memory; a user removed from it cannot authenticate from the next CONNECT on (the
/// host disconnects its open connections).
/// </summary>
public interface IMqttUserSource
{
    /// <summary>The user named <paramref name="username"/>; false when there is none.</summary>
    bool TryFind(string username, out MqttUserCredentials user);
}

/// <summary>
/// A runtime user's credentials: its password hash (<see cref="BrokerPasswordHasher"/> format) and its tenant
/// (null: a platform user, not confined; else confined to <c>tenants/{tenant}/</c> for topics and client ids).
/// </summary>
public sealed record MqttUserCredentials(string PasswordHash, string? Tenant);
