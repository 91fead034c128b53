using IoTix.Core.Devices;
using IoTix.Tests.Shared;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IoTix.Tests.Core.Protocols.Mqtt;

/// <summary>Simulated MQTT devices against the hosted IoTix broker (MQTTnet.Server).</summary>
public sealed class MqttAdapterHostedBrokerTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private BrokerInstance Broker => fixture.Broker;

    [Theory]
    [InlineData("5", 1)]
    [InlineData("5", 2)]
    [InlineData("3.1.1", 1)]
    public async Task Telemetry_reaches_the_hosted_broker_exactly_in_order(string version, int qos)
    {
        await using var harness = new MqttEngineHarness();
        var model = MqttModels.Sensor(Broker.TcpPort, $"\"mqttVersion\": \"{version}\", \"qos\": {qos}", intervalMs: 100);
        string group = "hb" + Guid.NewGuid().ToString("N")[..8];
        var (client, messages) = await MqttModels.SubscribeAsync(id => Broker.ConnectAsync(id), $"it/{group}-0/telemetry");

        harness.StartGroup(model, 1, group);
        var received = await messages.WaitForAsync(5);

        Assert.Equal([1.0, 2.0, 3.0, 4.0, 5.0], received.Take(5).Select(MqttModels.Temperature));
        Assert.All(received, m => Assert.Equal((MqttQualityOfServiceLevel)qos, m.QualityOfServiceLevel));
        client.Dispose();
    }

    [Fact]
    public async Task Command_from_the_hosted_broker_reaches_the_behaviour_engine()
    {
        await using var harness = new MqttEngineHarness();
        var model = MqttModels.Sensor(Broker.TcpPort, string.Empty, MqttModels.RebootCommand, intervalMs: 60_000);
        string group = "hbc" + Guid.NewGuid().ToString("N")[..8];
        string device = group + "-0";
        var (client, acks) = await MqttModels.SubscribeAsync(id => Broker.ConnectAsync(id), $"it/{device}/ack");
        harness.StartGroup(model, 1, group);
        await harness.WaitForStateAsync(device, DeviceState.Running);

        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"it/{device}/cmd/reboot").WithPayload("{\"reason\":\"hosted\"}").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.ExactlyOnce).Build());
        var ack = await acks.WaitForAsync(1);

        Assert.Equal("{\"rebooted\":true,\"reason\":\"hosted\"}", MqttModels.Text(ack[0]));
        client.Dispose();
    }

    [Fact]
    public async Task Seed_style_model_naming_mqtt_broker_reaches_the_hosted_broker_through_the_default_alias()
    {
        await using var harness = new MqttEngineHarness();
        var model = MqttModels.Sensor(Broker.TcpPort, broker: "mqtt-broker");
        string group = "alias" + Guid.NewGuid().ToString("N")[..8];
        var (client, messages) = await MqttModels.SubscribeAsync(id => Broker.ConnectAsync(id), $"it/{group}-0/telemetry");

        harness.StartGroup(model, 1, group);

        Assert.NotEmpty(await messages.WaitForAsync(1));
        client.Dispose();
    }
}
