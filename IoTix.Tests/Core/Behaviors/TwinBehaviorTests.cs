using System.Text;
using IoTix.Core.Behaviors;
using IoTix.Core.Models;
using IoTix.Core.Protocols;
using IoTix.Tests.Core.Devices;

namespace IoTix.Tests.Core.Behaviors;

/// <summary>The simulated device as a twin: command answers to an MQTT 5 Response Topic, shadow deltas applied to state and reported.</summary>
public sealed class TwinBehaviorTests
{
    private static string Model(string extra = "", string protocol = "mqtt", string version = "5") => $$"""
        { "id": "t", "name": "t", "type": "actuator", "protocol": "{{protocol}}",
          "connection": { "mqttVersion": "{{version}}" },
          "telemetry": [ { "name": "flow", "type": "number", "generator": { "type": "constant", "value": 1 }, "intervalMs": 60000 } ],
          "state": { "power": "on", "level": 1 },
          "commands": [ { "name": "ping", "topic": "$iotix/things/${deviceId}/methods/ping",
                          "response": { "status": 202, "payload": { "power": "${power}", "echo": "${value}" } } },
                        { "name": "setLevel", "topic": "t/${deviceId}/level", "parameters": [ { "name": "to", "type": "integer" } ] } ],
          "behaviors": [ { "name": "lvl", "trigger": { "type": "command", "command": "setLevel" }, "action": { "type": "setState", "target": "level", "value": "${to}" } },
                         { "name": "onLevel", "trigger": { "type": "state", "state": "level" }, "action": { "type": "publish", "topic": "t/${deviceId}/level-changed", "payload": { "level": "${level}" } } } ]
          {{extra}} }
        """;

    private const string Shadow = """, "shadow": { }""";

    private static EngineFixture Start(string model)
    {
        var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Model(model), 1, "g", "d-{index}");
        Assert.True(f.Engine.StartGroup("g").Succeeded);
        f.Advance(10);
        return f;
    }

    private static void Request(EngineFixture f, string command, string payload, string responseTopic, byte[] correlation)
    {
        IDeviceConnectionEvents events = f.Adapter.Connection("d-0").Context.Events;
        events.CommandReceived(command, Encoding.UTF8.GetBytes(payload), Encoding.UTF8.GetBytes(responseTopic), correlation);
        f.Advance(10);
    }

    private static List<string> PayloadsOn(EngineFixture f, string topic) => f.Adapter.Messages.Where(m => m.Topic == topic).Select(m => m.Payload).ToList();

    [Fact]
    public async Task Command_with_a_response_answers_on_the_requests_response_topic_with_its_template()
    {
        await using var f = Start(Model());

        Request(f, "ping", """{"value":7}""", "$iotix/things/d-0/methods/ping/response", [1, 2, 3]);

        // The recording adapter keeps IDeviceConnection's default TryPublishResponse: a plain publish on the topic.
        Assert.Equal(["""{"power":"on","echo":7}"""], PayloadsOn(f, "$iotix/things/d-0/methods/ping/response"));
    }

    [Fact]
    public async Task Command_without_a_response_topic_gets_no_answer()
    {
        await using var f = Start(Model());

        f.Adapter.Connection("d-0").ReceiveCommand("ping", """{"value":7}""");
        f.Advance(10);

        Assert.DoesNotContain(f.Adapter.Messages, m => m.Topic.EndsWith("/response", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Shadow_device_reports_its_state_and_asks_for_the_document_on_connect()
    {
        await using var f = Start(Model(Shadow));

        Assert.Equal(["""{"state":{"reported":{"power":"on","level":1}}}"""], PayloadsOn(f, "$iotix/things/d-0/shadow/update"));
        Assert.Equal(["{}"], PayloadsOn(f, "$iotix/things/d-0/shadow/get"));
    }

    [Fact]
    public async Task Delta_is_applied_to_state_reported_back_and_fires_state_behaviours()
    {
        await using var f = Start(Model(Shadow));
        f.Adapter.Clear();

        f.Adapter.Connection("d-0").ReceiveCommand(ShadowCommands.Delta, """{"state":{"level":5,"power":"off","unknown":1,"flow":3.5},"version":4}""");
        f.Advance(10);

        Assert.Equal(["""{"state":{"reported":{"level":5,"power":"off","flow":3.5}}}"""], PayloadsOn(f, "$iotix/things/d-0/shadow/update"));
        Assert.Equal(["""{"level":5}"""], PayloadsOn(f, "t/d-0/level-changed"));
    }

    [Fact]
    public async Task Document_delta_is_applied_and_values_of_another_type_are_left_in_the_delta()
    {
        await using var f = Start(Model(Shadow));
        f.Adapter.Clear();

        f.Adapter.Connection("d-0").ReceiveCommand(ShadowCommands.Document, """{"state":{"desired":{"level":9,"power":true},"delta":{"level":9,"power":true}},"version":2}""");
        f.Advance(10);

        Assert.Equal(["""{"state":{"reported":{"level":9}}}"""], PayloadsOn(f, "$iotix/things/d-0/shadow/update"));
    }

    [Theory]
    [InlineData("mqtt", "3.1.1", "", "$.commands[0].response", "needs protocol mqtt with connection.mqttVersion 5")]
    [InlineData("mqtt", "5", """, "shadow": { "topicPrefix": "a/+/shadow" }""", "$.shadow.topicPrefix", "no '+' or '#'")]
    public void Model_check_refuses_answers_and_shadows_the_device_cannot_keep(string protocol, string version, string extra, string path, string message)
    {
        var model = EngineFixture.Model(Model(extra, protocol, version));
        var context = new ModelCheckContext("t.json", null);

        new BehaviorModelCheck().Check(model, context);

        Assert.Contains(context.Errors, e => e.Path == path && e.Message.Contains(message, StringComparison.Ordinal));
    }
}
