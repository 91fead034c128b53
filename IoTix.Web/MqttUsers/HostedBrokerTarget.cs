using System.Net;
using IoTix.Broker;
using IoTix.Core.Models;
using IoTix.Core.Protocols;
using Microsoft.Extensions.Options;

namespace IoTix.Web.MqttUsers;

/// <summary>
/// Whether an MQTT device connects to this process's hosted broker. The device's endpoint is resolved as its
/// connection will resolve it (<see cref="EndpointResolver"/>: the endpoint override, else <c>IoTix:Simulation:BrokerHost</c>
/// / <c>BrokerPort</c> or <c>MQTT_BROKER_HOST</c> / <c>MQTT_BROKER_PORT</c>, else the model's address; then the host
/// aliases). It is the hosted broker when the broker is enabled, the port is its TCP listener's (a model without TLS)
/// or its TLS listener's (a model with TLS, when the broker has a certificate), and the host is <c>localhost</c>
/// (the adapter takes its first IPv4 address, 127.0.0.1) or a loopback address that the broker's
/// <c>Broker:BindAddress</c> accepts (that address itself, <c>0.0.0.0</c> for IPv4 loopback, <c>::</c> for both).
/// Another host name, even one of this machine, is not assumed to be the hosted broker. The WebSocket listeners are
/// never targets: the simulator's MQTT adapter speaks TCP and TLS only.
/// </summary>
internal sealed class HostedBrokerTarget(EndpointResolver endpoints, IOptions<BrokerOptions> broker)
{
    private readonly BrokerOptions _broker = broker.Value;

    public bool IsTargetedBy(DeviceModel model, string? endpointOverride)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!_broker.Enabled || model.Protocol != DeviceProtocol.Mqtt || !endpoints.TryResolve(model, endpointOverride, out var endpoint, out _))
        {
            return false;
        }

        var listeners = _broker.Listeners;
        var port = model.Connection.Tls is { Enabled: true }
            ? (_broker.Tls.IsConfigured && listeners.Tls.IsEnabled ? listeners.Tls.Port : 0)
            : (listeners.Tcp.IsEnabled ? listeners.Tcp.Port : 0);
        return port != 0 && endpoint.Port == port && Reaches(endpoint.Host);
    }

    /// <summary>True when a connection to <paramref name="host"/> reaches a listener bound to <c>Broker:BindAddress</c>.</summary>
    private bool Reaches(string host)
    {
        IPAddress target;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            target = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(host, out target!) || !IPAddress.IsLoopback(target.IsIPv4MappedToIPv6 ? target.MapToIPv4() : target))
        {
            return false;
        }

        if (target.IsIPv4MappedToIPv6)
        {
            target = target.MapToIPv4();
        }

        if (!IPAddress.TryParse(_broker.BindAddress, out var bind))
        {
            return false;
        }

        return bind.Equals(IPAddress.IPv6Any)
            || (bind.Equals(IPAddress.Any) && target.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            || bind.Equals(target);
    }
}
