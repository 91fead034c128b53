using System.Text;
using System.Text.Json.Nodes;
using IoTix.Broker.Devices;
using IoTix.Broker.Methods;
using IoTix.Broker.Shadows;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker.Devices;

/// <summary>
/// A tenant's things on the hosted broker: shadows and methods on <c>tenants/{t}/$iotix/things/...</c> with the thing
/// key <c>tenants/{t}/{thing}</c>, and a tenant's MQTT user confined to its namespace for topics and client ids.
/// </summary>
public sealed class TenantThingTests : IAsyncLifetime
{
    private const string Lamp = "tenants/acme/lamp";
    private BrokerInstance _broker = null!;

    public async Task InitializeAsync() => _broker = await BrokerInstance.StartAsync(TenantTopicTests.TenantUsers());

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    private Task<IMqttClient> AcmeAsync(string clientId) => _broker.ConnectAsync(clientId, configure: o => o.WithCredentials("acme-device", "acme-secret"));

    [Fact]
    public async Task Namespaced_shadow_update_delta_and_get_round_trip_for_a_tenants_device()
    {
        using var device = await AcmeAsync(Lamp);
        var deltas = new MessageCollector(device);
        await device.SubscribeAsync("tenants/acme/$iotix/things/lamp/shadow/update/delta", MqttQualityOfServiceLevel.AtLeastOnce);
        var shadows = _broker.Services.GetRequiredService<IShadowService>();

        var desired = await shadows.UpdateAsync(Lamp, new ShadowUpdate { Desired = new JsonObject { ["on"] = true } });
        var delta = (await deltas.WaitForAsync(1, TimeSpan.FromSeconds(20)))[0];
        using var answers = await AcmeAsync("tenants/acme/lamp-app");
        var got = new MessageCollector(answers);
        await answers.SubscribeAsync("tenants/acme/$iotix/things/lamp/shadow/+/accepted", MqttQualityOfServiceLevel.AtLeastOnce);
        await device.PublishStringAsync("tenants/acme/$iotix/things/lamp/shadow/update", """{"state":{"reported":{"on":true}}}""", MqttQualityOfServiceLevel.AtLeastOnce);
        await got.WaitForAsync(1, TimeSpan.FromSeconds(20));
        await device.PublishStringAsync("tenants/acme/$iotix/things/lamp/shadow/get", """{"clientToken":"g-1"}""", MqttQualityOfServiceLevel.AtLeastOnce);
        var messages = await got.WaitForAsync(2, TimeSpan.FromSeconds(20));

        Assert.True(desired.Succeeded, desired.Message);
        Assert.Equal(Lamp, desired.Document!.ThingName);
        Assert.Equal("tenants/acme/$iotix/things/lamp/shadow/update/delta", delta.Topic);
        Assert.True(JsonNode.Parse(delta.ConvertPayloadToString())!["state"]!["on"]!.GetValue<bool>());
        var get = messages.Single(m => m.Topic == "tenants/acme/$iotix/things/lamp/shadow/get/accepted");
        var document = JsonNode.Parse(get.ConvertPayloadToString())!;
        Assert.Equal(2, document["version"]!.GetValue<long>());
        Assert.Equal("g-1", document["clientToken"]!.GetValue<string>());
        Assert.Null(await shadows.GetAsync("lamp")); // the default namespace's "lamp" is another thing
    }

    [Fact]
    public async Task A_method_call_on_a_tenants_thing_is_published_and_answered_on_its_namespaced_topics()
    {
        using var device = await AcmeAsync("tenants/acme/meter");
        var requests = new MessageCollector(device);
        device.AnswerMethodsWith("{\"ok\":true}");
        await device.SubscribeAsync("tenants/acme/$iotix/things/meter/methods/+", MqttQualityOfServiceLevel.AtLeastOnce);
        var methods = _broker.Services.GetRequiredService<IDirectMethods>();

        var result = await methods.InvokeAsync(new DirectMethodRequest("tenants/acme/meter", "tenants/acme/meter", "reboot", Encoding.UTF8.GetBytes("{}"), TimeSpan.FromSeconds(20)));

        Assert.Equal(DirectMethodOutcome.Completed, result.Outcome);
        Assert.Equal("{\"ok\":true}", Encoding.UTF8.GetString(result.Payload));
        var request = (await requests.WaitForAsync(1))[0];
        Assert.Equal("tenants/acme/$iotix/things/meter/methods/reboot", request.Topic);
        Assert.Equal("tenants/acme/$iotix/things/meter/methods/reboot/response", request.ResponseTopic);
    }

    [Theory]
    [InlineData("lamp")]
    [InlineData("tenants/beta/lamp")]
    [InlineData("tenants/acme")]
    [InlineData("tenants/acme/")]
    [InlineData("tenants/acmex/lamp")]
    public async Task A_tenants_user_with_a_client_id_outside_its_namespace_is_refused_with_0x85(string clientId)
    {
        using var client = new MqttClientFactory().CreateMqttClient();

        var result = await client.ConnectAsync(_broker.Options(clientId).WithCredentials("acme-device", "acme-secret").Build());

        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, result.ResultCode);
    }

    [Fact]
    public async Task A_tenants_user_on_mqtt311_with_a_foreign_client_id_is_refused_with_identifier_rejected()
    {
        using var client = new MqttClientFactory().CreateMqttClient();

        var result = await client.ConnectAsync(_broker.Options("lamp", MqttProtocolVersion.V311).WithCredentials("acme-device", "acme-secret").Build());

        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, result.ResultCode); // 0x02 on the wire
    }

    [Fact]
    public async Task A_tenants_user_cannot_take_over_another_tenants_session()
    {
        using var holder = await _broker.ConnectAsync("tenants/beta/lamp", configure: o => o.WithCredentials("beta-device", "beta-secret"));
        using var intruder = new MqttClientFactory().CreateMqttClient();

        var result = await intruder.ConnectAsync(_broker.Options("tenants/beta/lamp").WithCredentials("acme-device", "acme-secret").Build());

        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, result.ResultCode);
        Assert.True(holder.IsConnected);
    }

    [Fact]
    public async Task A_tenants_mqtt5_client_without_a_client_id_is_assigned_one_in_its_namespace()
    {
        using var client = new MqttClientFactory().CreateMqttClient();

        var result = await client.ConnectAsync(_broker.Options("").WithCleanStart(true).WithCredentials("acme-device", "acme-secret").Build());

        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        Assert.StartsWith("tenants/acme/iotix-", result.AssignedClientIdentifier, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tenants_user_cannot_reach_the_shadows_of_another_namespace()
    {
        using var device = await AcmeAsync("tenants/acme/spy");

        var platformThing = await device.PublishStringAsync("$iotix/things/lamp/shadow/update", """{"state":{"desired":{"on":false}}}""", MqttQualityOfServiceLevel.AtLeastOnce);
        var otherTenant = await device.PublishStringAsync("tenants/beta/$iotix/things/lamp/shadow/get", "{}", MqttQualityOfServiceLevel.AtLeastOnce);
        var subscribe = await device.SubscribeAsync("tenants/beta/$iotix/things/+/shadow/update/delta");

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, platformThing.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, otherTenant.ReasonCode);
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, subscribe.Items.Single().ResultCode);
        Assert.Null(await _broker.Services.GetRequiredService<IShadowService>().GetAsync("lamp"));
    }
}

/// <summary>The thing key and topic layout of <see cref="DeviceTopics"/> on its own.</summary>
public sealed class DeviceTopicKeyTests
{
    [Theory]
    [InlineData("lamp", "$iotix/things/lamp/shadow/update")]
    [InlineData("tenants/acme/lamp", "tenants/acme/$iotix/things/lamp/shadow/update")]
    public void ShadowUpdate_of_a_key_lies_in_the_keys_namespace(string key, string topic) =>
        Assert.Equal(topic, DeviceTopics.ShadowUpdate(key));

    [Theory]
    [InlineData("$iotix/things/lamp/shadow/update", "lamp", "shadow/update")]
    [InlineData("tenants/acme/$iotix/things/lamp/shadow/get", "tenants/acme/lamp", "shadow/get")]
    [InlineData("tenants/acme/$iotix/things/lamp/methods/reboot/response", "tenants/acme/lamp", "methods/reboot/response")]
    public void TryParse_gives_the_thing_key_and_the_rest(string topic, string key, string rest)
    {
        Assert.True(DeviceTopics.TryParse(topic, out var parsedKey, out var parsedRest));
        Assert.Equal(key, parsedKey);
        Assert.Equal(rest, parsedRest.ToString());
    }

    [Theory]
    [InlineData("tenants/acme/telemetry/lamp")]
    [InlineData("tenants/acme")]
    [InlineData("telemetry/$iotix/things/lamp/shadow/get")]
    [InlineData("$SYS/broker/uptime")]
    [InlineData("")]
    public void TryParse_refuses_topics_that_are_no_device_service_topic(string topic) =>
        Assert.False(DeviceTopics.TryParse(topic, out _, out _));

    [Theory]
    [InlineData("lamp", true)]
    [InlineData("tenants/acme/lamp", true)]
    [InlineData("tenants/acme/a/b", false)]
    [InlineData("tenants//lamp", false)]
    [InlineData("tenants/acme/", false)]
    [InlineData("tenants/+/lamp", false)]
    [InlineData("other/acme/lamp", false)]
    public void IsValidKey_accepts_names_and_tenant_keys_only(string key, bool valid) =>
        Assert.Equal(valid, DeviceTopics.IsValidKey(key));
}
