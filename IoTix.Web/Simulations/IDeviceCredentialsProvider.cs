using IoTix.Core.Models;
using IoTix.Core.Protocols;

namespace IoTix.Web.Simulations;

/// <summary>
/// Credentials the <see cref="SimulationOrchestrator"/> gives simulated devices in place of their model's (the
/// engine's <c>CredentialsOverride</c>): the host's internal simulator identity of the tenant when the devices connect
/// to the hosted broker and their model brings no identity of its own (see <c>IoTix.Web/MqttUsers/SimulatorIdentity</c>).
/// Asked when devices are built (create, restore, rebuild on a new model revision), never per message.
/// </summary>
public interface IDeviceCredentialsProvider
{
    /// <summary>
    /// The credentials devices of <paramref name="tenantId"/> built from <paramref name="model"/> connect with when their
    /// endpoint override is <paramref name="endpointOverride"/>; null: the model's own (or none).
    /// </summary>
    ConnectionCredentials? CredentialsFor(string tenantId, DeviceModel model, string? endpointOverride);
}
