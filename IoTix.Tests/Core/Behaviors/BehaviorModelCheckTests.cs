using IoTix.Core.Behaviors;
using IoTix.Core.Models;
using IoTix.Tests.Core.Devices;

namespace IoTix.Tests.Core.Behaviors;

public sealed class BehaviorModelCheckTests
{
    private static IReadOnlyList<ModelError> Check(string behaviors, string extra = "")
    {
        var model = EngineFixture.Model($$"""
            { "id": "m", "name": "m", "type": "sensor", "protocol": "mqtt",
              "telemetry": [ { "name": "heartRate", "type": "integer", "generator": { "type": "constant", "value": 70 } } ],
              "commands": [ { "name": "reboot" } ],
              "state": { "power": "on" }{{extra}},
              "behaviors": {{behaviors}} }
            """);
        var context = new ModelCheckContext("m.json", null);
        new BehaviorModelCheck().Check(model, context);
        return context.Errors;
    }

    [Fact]
    public void The_seed_arrhythmia_behaviour_is_valid()
    {
        var errors = Check("""
            [ { "name": "arrhythmiaAlert", "trigger": { "type": "condition", "condition": "heartRate > 120 || heartRate < 50" },
                "action": { "type": "publish", "topic": "devices/${deviceId}/alerts", "payload": { "type": "arrhythmia", "heartRate": "${heartRate}" } } } ]
            """);

        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("""[ { "name": "b", "trigger": { "type": "condition", "condition": "heartRate >" }, "action": { "type": "recover" } } ]""", "$.behaviors[0].trigger.condition", "unexpected end of the condition")]
    [InlineData("""[ { "name": "b", "trigger": { "type": "condition", "condition": "pulse > 3" }, "action": { "type": "recover" } } ]""", "$.behaviors[0].trigger.condition", "unknown identifier 'pulse'")]
    [InlineData("""[ { "name": "b", "trigger": { "type": "time", "cron": "61 * * * *" }, "action": { "type": "recover" } } ]""", "$.behaviors[0].trigger.cron", "invalid cron expression")]
    [InlineData("""[ { "name": "b", "trigger": { "type": "time", "cron": "* *" }, "action": { "type": "recover" } } ]""", "$.behaviors[0].trigger.cron", "cron must have 5 fields")]
    [InlineData("""[ { "name": "b", "trigger": { "type": "whenever" }, "action": { "type": "recover" } } ]""", "$.behaviors[0].trigger.type", "unknown trigger type 'whenever'")]
    [InlineData("""[ { "name": "b", "trigger": { "type": "time", "afterMs": 1 }, "action": { "type": "explode" } } ]""", "$.behaviors[0].action.type", "unknown action type 'explode'")]
    [InlineData("""[ { "name": "b", "trigger": { "type": "time" }, "action": { "type": "recover" } } ]""", "$.behaviors[0].trigger", "a time trigger needs afterMs, everyMs or cron")]
    [InlineData("""[ { "name": "b", "trigger": { "type": "command", "command": "selfDestruct" }, "action": { "type": "recover" } } ]""", "$.behaviors[0].trigger.command", "unknown command 'selfDestruct'")]
    [InlineData("""[ { "name": "b", "trigger": { "type": "state", "state": "sleeping" }, "action": { "type": "recover" } } ]""", "$.behaviors[0].trigger.state", "unknown state 'sleeping'")]
    [InlineData("""[ { "name": "b", "trigger": { "type": "time", "afterMs": 1 }, "action": { "type": "setState", "target": "mode", "value": 1 } } ]""", "$.behaviors[0].action.target", "unknown state variable 'mode'")]
    [InlineData("""[ { "name": "b", "trigger": { "type": "time", "afterMs": 1 }, "action": { "type": "set", "target": "heartRate" } } ]""", "$.behaviors[0].action.value", "value is required for set")]
    [InlineData("""[ { "name": "b", "trigger": { "type": "time", "afterMs": 1 }, "action": { "type": "spike", "target": "heartRate" } } ]""", "$.behaviors[0].action.magnitude", "magnitude is required for spike")]
    [InlineData("""[ { "name": "b", "trigger": { "type": "time", "afterMs": 1 }, "action": { "type": "batteryDrain", "magnitude": 1 } } ]""", "$.behaviors[0].action.target", "unknown telemetry item 'battery'")]
    [InlineData("""[ { "name": "b", "trigger": { "type": "time", "afterMs": 1 }, "action": { "type": "publish", "topic": "a/${nope}" } } ]""", "$.behaviors[0].action.topic", "unknown placeholder '${nope}'")]
    [InlineData("""[ { "name": "b", "trigger": { "type": "time", "afterMs": 1 }, "action": { "type": "publish", "payload": { "x": ["${nope}"] } } } ]""", "$.behaviors[0].action.payload.x[0]", "unknown placeholder '${nope}'")]
    [InlineData("""[ { "name": "b", "trigger": { "type": "time", "afterMs": 1 }, "action": { "type": "flap", "probability": 2 } } ]""", "$.behaviors[0].action.probability", "probability must be between 0 and 1")]
    public void Problems_are_reported_at_their_json_path(string behaviors, string path, string message)
    {
        var errors = Check(behaviors);

        var error = Assert.Single(errors);
        Assert.Equal(path, error.Path);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
        Assert.Equal("m.json", error.File);
    }

    [Fact]
    public void Command_parameters_are_allowed_in_command_behaviour_templates_only()
    {
        var ok = Check("""[ { "name": "b", "trigger": { "type": "command", "command": "reboot" }, "action": { "type": "publish", "payload": { "url": "${firmwareUrl}" } } } ]""");
        var bad = Check("""[ { "name": "b", "trigger": { "type": "time", "afterMs": 5 }, "action": { "type": "publish", "payload": { "url": "${firmwareUrl}" } } } ]""");

        Assert.Empty(ok);
        Assert.Equal("$.behaviors[0].action.payload.url", Assert.Single(bad).Path);
    }
}
