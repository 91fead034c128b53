using System.Text;
using IoTix.Core.Devices;
using IoTix.Core.Models;
using IoTix.Core.Protocols;

namespace IoTix.Tests.Core.Devices;

/// <summary>
/// Namespaces of the engine (<see cref="DeviceNamespace"/>): equal ids of two namespaces coexist, and a namespaced
/// device's client id and every MQTT topic it uses carry the namespace while its templates and payloads see its bare id.
/// </summary>
public sealed class DeviceNamespaceTests
{
    private const string A = "tenants/a/";
    private const string B = "tenants/b/";

    private static DeviceModel Twin(string connection = "") => EngineFixture.Model($$"""
        { "id": "twin", "name": "twin", "type": "actuator", "protocol": "mqtt",
          "connection": { "mqttVersion": "5", "topicPattern": "devices/${deviceId}/telemetry",
                          "lastWill": { "topic": "devices/${deviceId}/status", "payload": "offline" } {{connection}} },
          "telemetry": [ { "name": "flow", "type": "number", "generator": { "type": "constant", "value": 1 }, "intervalMs": 1000 },
                         { "name": "alarm", "type": "boolean", "generator": { "type": "constant", "value": false }, "intervalMs": 1000, "topic": "alarms/${groupId}/${deviceId}" } ],
          "state": { "level": 1 },
          "commands": [ { "name": "ping", "topic": "$iotix/things/${deviceId}/methods/ping", "response": { "status": 200, "payload": { "id": "${deviceId}" } } },
                        { "name": "setLevel", "topic": "cmd/${deviceId}/level", "parameters": [ { "name": "to", "type": "integer" } ] } ],
          "behaviors": [ { "name": "lvl", "trigger": { "type": "command", "command": "setLevel" }, "action": { "type": "publish", "topic": "events/${deviceId}/level", "payload": { "to": "${to}" } } } ],
          "shadow": { } }
        """);

    private static DeviceGroupSpec Group(string? ns, string groupId = "g1", string idPattern = "d{index}", int count = 1) =>
        new() { ModelId = "twin", Count = count, GroupId = groupId, IdPattern = idPattern, Namespace = ns };

    private static EngineFixture StartBoth(DeviceModel model)
    {
        var f = new EngineFixture();
        Assert.True(f.Engine.CreateGroup(model, Group(A)).Succeeded);
        Assert.True(f.Engine.CreateGroup(model, Group(B)).Succeeded);
        Assert.True(f.Engine.StartGroup(A + "g1").Succeeded);
        Assert.True(f.Engine.StartGroup(B + "g1").Succeeded);
        f.Advance(10);
        return f;
    }

    private static List<string> TopicsOf(EngineFixture f, string key) => f.Adapter.MessagesFor(key).Select(m => m.Topic).Distinct().Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task Equal_group_and_device_ids_of_two_namespaces_coexist_under_namespaced_keys()
    {
        await using var f = new EngineFixture();

        var a = f.Engine.CreateGroup(Twin(), Group(A));
        var b = f.Engine.CreateGroup(Twin(), Group(B));
        var plain = f.Engine.CreateGroup(Twin(), Group(null));
        var again = f.Engine.CreateGroup(Twin(), Group(A));
        var single = f.Engine.CreateDevice(Twin(), new DeviceSpec { DeviceId = "d0", Namespace = B });

        Assert.Equal((A + "g1", A + "d0"), (a.Value!.GroupId, a.Value.DeviceIds[0]));
        Assert.Equal((B + "g1", B + "d0"), (b.Value!.GroupId, b.Value.DeviceIds[0]));
        Assert.Equal(("g1", "d0"), (plain.Value!.GroupId, plain.Value.DeviceIds[0]));
        Assert.Equal(EngineErrorCode.AlreadyExists, again.Error!.Code);
        Assert.Equal(EngineErrorCode.AlreadyExists, single.Error!.Code);
        Assert.True(f.Engine.TryGetDevice(A + "d0", out var device));
        Assert.Equal(("d0", A, A + "g1", "g1"), (device.LocalId, device.Namespace, device.GroupId, device.LocalGroupId));
    }

    [Fact]
    public async Task A_namespaced_device_publishes_telemetry_with_the_namespace_in_front_and_its_bare_id_in_templates_and_payloads()
    {
        await using var f = StartBoth(Twin());

        Assert.Equal([A + "alarms/g1/d0", A + "devices/d0/telemetry"], TopicsOf(f, A + "d0").Where(t => !t.Contains("shadow", StringComparison.Ordinal)));
        Assert.Equal([B + "alarms/g1/d0", B + "devices/d0/telemetry"], TopicsOf(f, B + "d0").Where(t => !t.Contains("shadow", StringComparison.Ordinal)));
        Assert.Contains("\"deviceId\":\"d0\"", f.Adapter.MessagesFor(A + "d0").First(m => m.Topic.EndsWith("/telemetry", StringComparison.Ordinal)).Payload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_id_subscriptions_and_last_will_of_a_namespaced_device_carry_the_namespace()
    {
        await using var f = StartBoth(Twin());

        var context = f.Adapter.Connection(A + "d0").Context;

        Assert.Equal((A + "d0", "d0", "g1", A), (context.ClientId, context.DeviceId, context.GroupId, context.TopicNamespace));
        Assert.Equal(A + "$iotix/things/d0/methods/ping", context.RenderTopic(context.Model.Commands[0].Topic!));
        Assert.Equal(A + "devices/d0/status", context.RenderTopic(context.Model.Connection.LastWill!.Topic));
        Assert.Equal("d0", f.Adapter.Connection(B + "d0").Context.DeviceId);
        Assert.Equal(B + "d0", f.Adapter.Connection(B + "d0").Context.ClientId);
    }

    [Fact]
    public async Task A_client_id_pattern_is_rendered_with_the_bare_id_and_put_inside_the_namespace()
    {
        await using var f = StartBoth(Twin(""", "clientIdPattern": "sim-${deviceId}" """));

        Assert.Equal(A + "sim-d0", f.Adapter.Connection(A + "d0").Context.ClientId);
        Assert.Equal(B + "sim-d0", f.Adapter.Connection(B + "d0").Context.ClientId);
    }

    [Fact]
    public async Task Shadow_topics_of_a_namespaced_device_are_inside_the_namespace()
    {
        await using var f = StartBoth(Twin());

        var shadow = TopicsOf(f, A + "d0").Where(t => t.Contains("shadow", StringComparison.Ordinal)).ToList();

        Assert.Equal([A + "$iotix/things/d0/shadow/get", A + "$iotix/things/d0/shadow/update"], shadow);
    }

    [Fact]
    public async Task Behaviour_publishes_are_inside_the_namespace()
    {
        await using var f = StartBoth(Twin());

        f.Adapter.Connection(A + "d0").ReceiveCommand("setLevel", """{"to":3}""");
        f.Advance(10);

        var message = Assert.Single(f.Adapter.Messages, m => m.Topic.Contains("events/", StringComparison.Ordinal));
        Assert.Equal((A + "d0", A + "events/d0/level", """{"to":3}"""), (message.DeviceId, message.Topic, message.Payload));
    }

    [Theory]
    [InlineData(A + "$iotix/things/d0/methods/ping/response", A + "$iotix/things/d0/methods/ping/response")]
    [InlineData("replies/x", A + "replies/x")]
    [InlineData(B + "replies/x", A + B + "replies/x")]
    public async Task A_response_topic_is_used_inside_the_namespace_and_put_inside_when_it_lies_outside(string responseTopic, string published)
    {
        await using var f = StartBoth(Twin());
        f.Adapter.Clear();

        IDeviceConnectionEvents events = f.Adapter.Connection(A + "d0").Context.Events;
        events.CommandReceived("ping", "{}"u8, Encoding.UTF8.GetBytes(responseTopic), [1]);
        f.Advance(10);

        var answer = Assert.Single(f.Adapter.Messages, m => m.Topic.EndsWith("/response", StringComparison.Ordinal) || m.Topic.EndsWith("replies/x", StringComparison.Ordinal));
        Assert.Equal((published, """{"id":"d0"}"""), (answer.Topic, answer.Payload));
    }

    [Fact]
    public async Task Devices_added_to_a_namespaced_group_follow_its_pattern_inside_the_namespace()
    {
        await using var f = new EngineFixture();
        Assert.True(f.Engine.CreateGroup(Twin(), Group(A)).Succeeded);
        Assert.True(f.Engine.CreateGroup(Twin(), Group(B)).Succeeded);

        var added = f.Engine.CreateDevice(Twin(), new DeviceSpec { GroupId = "g1", Namespace = A });
        var outside = f.Engine.CreateDevice(Twin(), new DeviceSpec { GroupId = "g1", Namespace = "tenants/c/" });

        Assert.Equal((A + "d1", A + "g1", 1), (added.Value!.DeviceId, added.Value.GroupId, added.Value.Index));
        Assert.Equal(EngineErrorCode.NotFound, outside.Error!.Code);
        Assert.Equal(2, f.Engine.ListDevices(A + "g1").Count);
        Assert.Single(f.Engine.ListDevices(B + "g1"));
    }

    [Fact]
    public async Task Without_a_namespace_keys_client_ids_and_topics_are_as_before()
    {
        await using var f = new EngineFixture();
        Assert.True(f.Engine.CreateGroup(Twin(), Group(null)).Succeeded);
        Assert.True(f.Engine.StartGroup("g1").Succeeded);
        f.Advance(10);

        var context = f.Adapter.Connection("d0").Context;

        Assert.Equal(("d0", string.Empty), (context.ClientId, context.TopicNamespace));
        Assert.Contains("devices/d0/telemetry", TopicsOf(f, "d0"));
        Assert.Contains("$iotix/things/d0/shadow/update", TopicsOf(f, "d0"));
    }

    [Theory]
    [InlineData("", "g1", true, "g1")]
    [InlineData(A, A + "g1", true, "g1")]
    [InlineData(A, B + "g1", false, B + "g1")]
    [InlineData(A, A, false, A)]
    public void TryLocal_answers_the_id_inside_the_namespace_only_for_keys_of_that_namespace(string ns, string key, bool inside, string local)
    {
        Assert.Equal((inside, local), (DeviceNamespace.TryLocal(ns, key, out var found), found));
    }
}
