using IoTix.Core.Devices;
using IoTix.Tests.Shared;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
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
    public async Task Model_user_properties_reach_an_MQTT_5_subscriber_rendered_once_per_device_in_order()
    {
        string variable = "IOTIX_TEST_UP_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        Environment.SetEnvironmentVariable(variable, "secret-site");
        await using var harness = new MqttEngineHarness();
        var model = MqttModels.Sensor(Broker.TcpPort, $$"""
            "qos": 1, "userProperties": { "site": "${env:{{variable}}}", "device": "${deviceId}", "slot": "${groupId}/${index}", "schema": "v2" }
            """, intervalMs: 100);
        string group = "up" + Guid.NewGuid().ToString("N")[..8];
        var (client, messages) = await MqttModels.SubscribeAsync(id => Broker.ConnectAsync(id), "it/+/telemetry");

        harness.StartGroup(model, 2, group);
        var received = (await messages.WaitForAsync(6)).Where(m => m.Topic.StartsWith($"it/{group}-", StringComparison.Ordinal)).ToList();

        foreach (var message in received)
        {
            string device = message.Topic.Split('/')[1];
            var properties = message.UserProperties.Select(p => (p.Name, p.ReadValueAsString())).ToList();
            Assert.Equal([("site", "secret-site"), ("device", device), ("slot", $"{group}/{device[^1]}"), ("schema", "v2")], properties);
        }

        Assert.Contains(received, m => m.Topic.EndsWith("-1/telemetry", StringComparison.Ordinal));
        client.Dispose();
        Environment.SetEnvironmentVariable(variable, null);
    }

    [Fact]
    public async Task QoS_1_publish_latency_reaches_the_group_the_engine_and_the_adapter()
    {
        await using var harness = new MqttEngineHarness();
        var model = MqttModels.Sensor(Broker.TcpPort, "\"qos\": 1", intervalMs: 50);
        string group = harness.StartGroup(model, 2);

        var deadline = DateTime.UtcNow + MqttEngineHarness.Timeout;
        while (harness.Engine.GetStats().PublishLatency.Count < 10 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var stats = harness.Engine.GetStats();
        var groupLatency = stats.Groups.Single(g => g.GroupId == group).PublishLatency;
        Assert.True(groupLatency.Count >= 10, $"{groupLatency.Count} acknowledged");
        Assert.InRange(groupLatency.P50Ms, 0, groupLatency.P99Ms);
        Assert.True(harness.Adapter.GetMetrics().PublishLatency!.Count >= groupLatency.Count);
        Assert.True(stats.PublishLatency.Count >= groupLatency.Count);
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
