using System.Collections.Concurrent;
using System.Security.Cryptography;
using IoTix.Broker.Security;
using IoTix.Core.Protocols;

namespace IoTix.Web.MqttUsers;

/// <summary>
/// The internal MQTT identity of each tenant's simulated devices on the hosted broker: user <c>{tenant}/iotix-simulator</c>
/// (a tenant user, confined to <c>tenants/{tenant}/</c> like the tenant's own MQTT users) and <c>iotix-simulator</c> for
/// the default tenant (a platform user). Made on first use; its password is 256 random bits generated per process,
/// held in memory only (never stored, never logged) and handed to the engine as the devices' credentials; the broker
/// checks it through <see cref="MqttUserCache"/> (the runtime <see cref="IMqttUserSource"/>). The name is reserved:
/// <c>/api/v1/mqtt-users</c> and <c>Broker:Users</c> cannot use it.
/// </summary>
/// <remarks>
/// Devices get these credentials through <see cref="SimulatorCredentials"/>: only when they connect to the hosted
/// broker and their model has no identity of its own, so this password never leaves the process.
/// </remarks>
internal sealed class SimulatorIdentity
{
    /// <summary>The reserved user name (inside each tenant's <c>{tenant}/</c>).</summary>
    public const string ReservedName = "iotix-simulator";

    /// <summary>PBKDF2 rounds of the in-memory hash: one, as the password is a random 256-bit secret (every device CONNECT verifies it).</summary>
    private const int HashIterations = 1;

    private readonly ConcurrentDictionary<string, Identity> _byTenant = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, MqttUserCredentials> _byUsername = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="name"/> (a user's name inside its tenant) is the reserved one, in any letter case.</summary>
    public static bool IsReserved(string name) => string.Equals(name, ReservedName, StringComparison.OrdinalIgnoreCase);

    /// <summary>The identity of <paramref name="tenantId"/>'s simulated devices (made on first use).</summary>
    public ConnectionCredentials Of(string tenantId)
    {
        var identity = _byTenant.GetOrAdd(tenantId, static tenant => Identity.Create(tenant));
        _byUsername.TryAdd(identity.Credentials.Username, identity.User);
        return identity.Credentials;
    }

    /// <summary>The broker's view of the identity named <paramref name="username"/>, once made.</summary>
    public bool TryFind(string username, out MqttUserCredentials user) => _byUsername.TryGetValue(username, out user!);

    private sealed record Identity(ConnectionCredentials Credentials, MqttUserCredentials User)
    {
        public static Identity Create(string tenantId)
        {
            var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            var credentials = new ConnectionCredentials(MqttUserService.UsernameOf(tenantId, ReservedName), password);
            return new Identity(credentials, new MqttUserCredentials(BrokerPasswordHasher.HashPassword(password, HashIterations), MqttUserCache.ConfinedTenant(tenantId)));
        }
    }
}
