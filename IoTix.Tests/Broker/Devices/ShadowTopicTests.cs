using System.Text.Json;
using System.Text.Json.Nodes;
using IoTix.Broker.Devices;
using IoTix.Broker.Shadows;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker.Devices;

/// <summary>Device shadows over MQTT against the running hosted broker, with real MQTTnet and mosquitto clients (user story 5).</summary>
public sealed class ShadowTopicTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private BrokerInstance Broker => fixture.Broker;

    [Fact]
    public async Task Desired_update_from_the_backend_sends_the_device_a_delta_with_version_and_metadata()
    {
        using var device = await Broker.ConnectAsync("shadow-dev-1");
        var deltas = new MessageCollector(device);
        await device.SubscribeAsync(DeviceTopics.ShadowDelta("thing-1"), MqttQualityOfServiceLevel.AtLeastOnce);
        using var backend = await Broker.ConnectAsync("shadow-backend-1");
        var accepted = new MessageCollector(backend);
        await backend.SubscribeAsync(DeviceTopics.ShadowUpdate("thing-1") + "/accepted", MqttQualityOfServiceLevel.AtLeastOnce);

        await PublishAsync(backend, DeviceTopics.ShadowUpdate("thing-1"), """{"state":{"desired":{"position":40,"mode":"manual"}},"clientToken":"t-1"}""");

        var delta = Json((await deltas.WaitForAsync(1, TimeSpan.FromSeconds(20)))[0]);
        Assert.Equal(40, delta["state"]!["position"]!.GetValue<int>());
        Assert.Equal("manual", delta["state"]!["mode"]!.GetValue<string>());
        Assert.Equal(1, delta["version"]!.GetValue<long>());
        Assert.True(delta["metadata"]!["position"]!["timestamp"]!.GetValue<long>() > 1_700_000_000);
        var answer = Json((await accepted.WaitForAsync(1, TimeSpan.FromSeconds(20)))[0]);
        Assert.Equal("t-1", answer["clientToken"]!.GetValue<string>());
        Assert.Equal(1, answer["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Reported_state_from_the_device_updates_the_reported_section_and_removes_matching_delta_fields()
    {
        var shadows = Broker.Services.GetRequiredService<IShadowService>();
        await shadows.UpdateAsync("thing-2", Desired("""{"position":10,"mode":"auto"}"""));
        using var device = await Broker.ConnectAsync("shadow-dev-2");
        var accepted = new MessageCollector(device);
        await device.SubscribeAsync(DeviceTopics.ShadowUpdate("thing-2") + "/accepted", MqttQualityOfServiceLevel.AtLeastOnce);

        await PublishAsync(device, DeviceTopics.ShadowUpdate("thing-2"), """{"state":{"reported":{"position":10,"mode":"manual"}}}""");

        await accepted.WaitForAsync(1, TimeSpan.FromSeconds(20));
        var document = await shadows.GetAsync("thing-2");
        Assert.NotNull(document);
        Assert.Equal(10, document.Reported!.Value.GetProperty("position").GetInt32());
        Assert.Equal(2, document.Version);
        var delta = document.Delta!.Value;
        Assert.False(delta.TryGetProperty("position", out _));
        Assert.Equal("auto", delta.GetProperty("mode").GetString());
    }

    [Fact]
    public async Task Stale_version_over_mqtt_is_rejected_with_code_409_and_the_shadow_is_unchanged()
    {
        var shadows = Broker.Services.GetRequiredService<IShadowService>();
        await shadows.UpdateAsync("thing-3", Desired("""{"speed":1}"""));
        await shadows.UpdateAsync("thing-3", Desired("""{"speed":2}"""));
        using var client = await Broker.ConnectAsync("shadow-dev-3");
        var rejected = new MessageCollector(client);
        await client.SubscribeAsync(DeviceTopics.ShadowUpdate("thing-3") + "/rejected", MqttQualityOfServiceLevel.AtLeastOnce);

        await PublishAsync(client, DeviceTopics.ShadowUpdate("thing-3"), """{"state":{"desired":{"speed":9}},"version":1,"clientToken":"stale"}""");

        var answer = Json((await rejected.WaitForAsync(1, TimeSpan.FromSeconds(20)))[0]);
        Assert.Equal(409, answer["code"]!.GetValue<int>());
        Assert.Contains("version 2", answer["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("stale", answer["clientToken"]!.GetValue<string>());
        var document = await shadows.GetAsync("thing-3");
        Assert.Equal(2, document!.Version);
        Assert.Equal(2, document.Desired!.Value.GetProperty("speed").GetInt32());
    }

    [Fact]
    public async Task Malformed_update_is_rejected_with_code_400_naming_the_problem()
    {
        using var client = await Broker.ConnectAsync("shadow-dev-4");
        var rejected = new MessageCollector(client);
        await client.SubscribeAsync(DeviceTopics.ShadowUpdate("thing-4") + "/rejected", MqttQualityOfServiceLevel.AtLeastOnce);

        await PublishAsync(client, DeviceTopics.ShadowUpdate("thing-4"), """{"state":{"wanted":{"a":1}}}""");

        var answer = Json((await rejected.WaitForAsync(1, TimeSpan.FromSeconds(20)))[0]);
        Assert.Equal(400, answer["code"]!.GetValue<int>());
        Assert.Contains("state.wanted", answer["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Device_offline_while_desired_changed_receives_the_delta_when_it_reconnects_and_subscribes()
    {
        var shadows = Broker.Services.GetRequiredService<IShadowService>();
        using (var first = await Broker.ConnectAsync("shadow-dev-5"))
        {
            await first.DisconnectAsync();
        }

        await shadows.UpdateAsync("thing-5", Desired("""{"targetTemperature":21.5}"""));
        using var device = await Broker.ConnectAsync("shadow-dev-5");
        var deltas = new MessageCollector(device);

        await device.SubscribeAsync(DeviceTopics.ShadowDelta("thing-5"), MqttQualityOfServiceLevel.AtLeastOnce);

        var delta = Json((await deltas.WaitForAsync(1, TimeSpan.FromSeconds(20)))[0]);
        Assert.Equal(21.5, delta["state"]!["targetTemperature"]!.GetValue<double>());
    }

    [Fact]
    public async Task Get_answers_the_whole_document_and_an_unknown_shadow_is_rejected_with_404_for_mosquitto_clients()
    {
        var shadows = Broker.Services.GetRequiredService<IShadowService>();
        await shadows.UpdateAsync("thing-6", Desired("""{"on":true}"""));
        var accepted = BrokerInstance.RunAsync("mosquitto_sub", "-h", "127.0.0.1", "-p", $"{Broker.TcpPort}", "-V", "mqttv5",
            "-t", "$iotix/things/thing-6/shadow/get/accepted", "-t", "$iotix/things/nothing-6/shadow/get/rejected", "-C", "2", "-q", "1", "-i", "shadow-mosq-6");
        using var probe = await Broker.ConnectAsync("shadow-probe-6");
        await WaitForSubscriptionAsync("shadow-mosq-6", 2);

        await PublishAsync(probe, DeviceTopics.ShadowGet("thing-6"), "{}");
        await PublishAsync(probe, DeviceTopics.ShadowGet("nothing-6"), "{}");

        var (exitCode, output) = await accepted;
        Assert.Equal(0, exitCode);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var document = JsonNode.Parse(lines.First(l => l.Contains("\"state\"", StringComparison.Ordinal)))!;
        Assert.True(document["state"]!["desired"]!["on"]!.GetValue<bool>());
        Assert.True(document["state"]!["delta"]!["on"]!.GetValue<bool>());
        var missing = JsonNode.Parse(lines.First(l => l.Contains("\"code\"", StringComparison.Ordinal)))!;
        Assert.Equal(404, missing["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task Presence_tracks_online_offline_and_last_seen_from_connect_publish_and_disconnect()
    {
        var presence = Broker.Services.GetRequiredService<IDevicePresence>();
        using var client = await Broker.ConnectAsync("presence-7");
        var online = await Eventually.GetAsync(() => presence.TryGet("presence-7", out var p) && p.Online ? p : null);
        await Task.Delay(20);

        await PublishAsync(client, "presence/7", "x");
        var touched = await Eventually.GetAsync(() => presence.TryGet("presence-7", out var p) && p.LastSeen > online.LastSeen ? p : null);
        await client.DisconnectAsync();
        var offline = await Eventually.GetAsync(() => presence.TryGet("presence-7", out var p) && !p.Online ? p : null);

        Assert.True(touched.Online);
        Assert.Equal("clean", offline.DisconnectReason);
        Assert.NotNull(offline.DisconnectedAt);
        Assert.True(offline.LastSeen >= touched.LastSeen);
    }

    internal static ShadowUpdate Desired(string json)
    {
        Assert.True(ShadowUpdate.TryParse(System.Text.Encoding.UTF8.GetBytes("{\"state\":{\"desired\":" + json + "}}"), out var update, out var error), error);
        return update;
    }

    internal static JsonNode Json(MqttApplicationMessage message) => JsonNode.Parse(message.ConvertPayloadToString())!;

    internal static Task PublishAsync(IMqttClient client, string topic, string payload) =>
        client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

    private async Task WaitForSubscriptionAsync(string clientId, int count)
    {
        var admin = Broker.Services.GetRequiredService<IoTix.Broker.Admin.IBrokerAdmin>();
        await Eventually.GetAsync(async () => (await admin.GetSubscriptionsAsync()).Count(s => s.ClientId == clientId) >= count ? "subscribed" : null, $"{count} subscriptions of {clientId}");
    }
}
