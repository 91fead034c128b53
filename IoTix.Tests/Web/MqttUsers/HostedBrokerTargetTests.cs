using IoTix.Broker;
using IoTix.Core.Protocols;
using IoTix.Tests.Core.Protocols.Mqtt;
using IoTix.Web.MqttUsers;
using Microsoft.Extensions.Options;

namespace IoTix.Tests.Web.MqttUsers;

/// <summary>
/// Which device endpoints are the hosted broker (and so get the simulator identity): the resolved endpoint's port is the
/// TCP listener's (TLS listener's for a TLS model) and its host a loopback address the broker's bind address accepts.
/// </summary>
public sealed class HostedBrokerTargetTests
{
    private const int Tcp = 21883;
    private const int Tls = 28883;

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1", Tcp, true)]
    [InlineData("127.0.0.1", "localhost", Tcp, true)]
    [InlineData("127.0.0.1", "LOCALHOST", Tcp, true)]
    [InlineData("127.0.0.1", "mqtt-broker", Tcp, true)] // the default host alias -> 127.0.0.1
    [InlineData("127.0.0.1", "::1", Tcp, false)]
    [InlineData("127.0.0.1", "127.0.0.2", Tcp, false)]
    [InlineData("127.0.0.1", "127.0.0.1", Tcp + 1, false)]
    [InlineData("127.0.0.1", "127.0.0.1", Tls, false)]
    [InlineData("127.0.0.1", "10.1.2.3", Tcp, false)]
    [InlineData("127.0.0.1", "broker.example", Tcp, false)]
    [InlineData("0.0.0.0", "127.0.0.2", Tcp, true)]
    [InlineData("0.0.0.0", "::1", Tcp, false)]
    [InlineData("::", "::1", Tcp, true)]
    [InlineData("::", "127.0.0.1", Tcp, true)]
    [InlineData("::1", "::1", Tcp, true)]
    [InlineData("10.1.2.3", "127.0.0.1", Tcp, false)]
    public void A_plain_model_targets_the_hosted_broker_only_on_its_tcp_port_and_a_reachable_loopback_address(string bind, string host, int port, bool expected)
    {
        var target = Target(new BrokerOptions { BindAddress = bind });

        var targeted = target.IsTargetedBy(MqttModels.Sensor(port, broker: host), null);

        Assert.Equal(expected, targeted);
    }

    [Fact]
    public void The_endpoint_override_and_the_configured_broker_address_are_resolved_like_the_devices_connection()
    {
        var model = MqttModels.Sensor(1883, broker: "broker.example");
        var plain = Target(new BrokerOptions());
        var configured = Target(new BrokerOptions(), new EndpointOptions { BrokerHost = "127.0.0.1", BrokerPort = Tcp });

        Assert.False(plain.IsTargetedBy(model, null));
        Assert.True(plain.IsTargetedBy(model, $"127.0.0.1:{Tcp}"));
        Assert.False(plain.IsTargetedBy(model, "127.0.0.1"), "the override keeps the model's port 1883");
        Assert.True(configured.IsTargetedBy(model, null));
        Assert.False(configured.IsTargetedBy(model, "broker.example"));
    }

    [Fact]
    public void A_tls_model_targets_the_tls_listener_only_when_the_broker_has_a_certificate()
    {
        var model = MqttModels.Sensor(Tls, """ "tls": { "enabled": true } """);
        var withCertificate = Target(new BrokerOptions { Tls = new BrokerTlsOptions { CertificateFile = "server.pem", KeyFile = "server.key" } });

        Assert.True(withCertificate.IsTargetedBy(model, null));
        Assert.False(Target(new BrokerOptions()).IsTargetedBy(model, null));
        Assert.False(withCertificate.IsTargetedBy(MqttModels.Sensor(Tcp, """ "tls": { "enabled": true } """), null));
    }

    [Fact]
    public void Nothing_targets_a_disabled_broker()
    {
        var target = Target(new BrokerOptions { Enabled = false });

        Assert.False(target.IsTargetedBy(MqttModels.Sensor(Tcp), null));
    }

    private static HostedBrokerTarget Target(BrokerOptions broker, EndpointOptions? endpoints = null)
    {
        broker.Listeners.Tcp.Port = Tcp;
        broker.Listeners.Tls.Port = Tls;
        return new HostedBrokerTarget(new EndpointResolver(Options.Create(endpoints ?? new EndpointOptions())), Options.Create(broker));
    }
}
