using IoTix.Core.Models;
using IoTix.Core.Protocols;
using IoTix.Web.Simulations;

namespace IoTix.Web.MqttUsers;

/// <summary>
/// Gives simulated devices their tenant's <see cref="SimulatorIdentity"/> when they connect to the hosted broker
/// (<see cref="HostedBrokerTarget"/>) and their model has no identity of its own: <c>connection.credentials</c> with a
/// user name or password, or a TLS client certificate. A model's own credentials are always kept.
/// </summary>
internal sealed class SimulatorCredentials(SimulatorIdentity identities, HostedBrokerTarget hostedBroker) : IDeviceCredentialsProvider
{
    public ConnectionCredentials? CredentialsFor(string tenantId, DeviceModel model, string? endpointOverride)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        ArgumentNullException.ThrowIfNull(model);
        return HasOwnIdentity(model) || !hostedBroker.IsTargetedBy(model, endpointOverride) ? null : identities.Of(tenantId);
    }

    /// <summary>A model connects as itself when it names a user, a password or a TLS client certificate.</summary>
    internal static bool HasOwnIdentity(DeviceModel model) =>
        model.Connection.Credentials is { Username: not null } or { Password: not null }
        || model.Connection.Tls is { Enabled: true, CertFile: not null };
}
