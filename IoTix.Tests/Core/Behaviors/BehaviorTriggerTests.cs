using System.Text.Json;
using IoTix.Core.Devices;
using IoTix.Tests.Core.Devices;

namespace IoTix.Tests.Core.Behaviors;

public sealed class BehaviorTriggerTests
{
    private const string Alert = """{ "type": "publish", "topic": "devices/${deviceId}/alerts", "payload": { "t": "${temperature}" } }""";

    /// <summary>A sensor whose temperature counts 1, 2, 3 ... (wrapping at <paramref name="max"/>), one value a second.</summary>
    private static string Model(string behaviors, double max = 1000, string extra = "") => $$"""
        { "id": "b", "name": "b", "type": "sensor", "protocol": "mqtt",
          "telemetry": [ { "name": "temperature", "type": "integer", "generator": { "type": "sequence", "start": 1, "step": 1, "min": 1, "max": {{max}}, "wrap": true }, "intervalMs": 1000 } ],
          "commands": [ { "name": "reboot" }, { "name": "updateFirmware", "parameters": [ { "name": "firmwareUrl", "type": "string", "required": true } ] } ],
          "state": { "power": "on" }{{extra}},
          "behaviors": {{behaviors}} }
        """;

    private static async Task<EngineFixture> StartAsync(string model)
    {
        var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Model(model), 1, "g", "d-{index}");
        Assert.True(f.Engine.StartGroup("g").Succeeded);
        await Task.CompletedTask;
        return f;
    }

    private static List<RecordedAlert> Alerts(EngineFixture f, string suffix = "/alerts") =>
        f.Adapter.Messages.Where(m => m.Topic.EndsWith(suffix, StringComparison.Ordinal)).Select(m => new RecordedAlert(m.Topic, m.Payload)).ToList();

    private sealed record RecordedAlert(string Topic, string Payload);

    [Fact]
    public async Task Condition_fires_on_the_edge_only_not_while_it_stays_true()
    {
        await using var f = await StartAsync(Model($$"""[ { "name": "hot", "trigger": { "type": "condition", "condition": "temperature > 3 && temperature < 7" }, "action": {{Alert}} } ]"""));

        f.Advance(10_000);

        var alert = Assert.Single(Alerts(f));
        Assert.Equal("devices/d-0/alerts", alert.Topic);
        Assert.Equal("""{"t":4}""", alert.Payload);
    }

    [Fact]
    public async Task Condition_fires_again_after_it_was_false()
    {
        await using var f = await StartAsync(Model($$"""[ { "name": "three", "trigger": { "type": "condition", "condition": "temperature == 3" }, "action": {{Alert}} } ]""", max: 3));

        f.Advance(8000);

        Assert.Equal(3, Alerts(f).Count); // values 1 2 3 1 2 3 1 2 3 at 0..8 s
    }

    [Fact]
    public async Task Cooldown_suppresses_edges_that_come_too_soon()
    {
        await using var f = await StartAsync(Model($$"""[ { "name": "three", "cooldownMs": 5000, "trigger": { "type": "condition", "condition": "temperature == 3" }, "action": {{Alert}} } ]""", max: 3));

        f.Advance(8000);

        Assert.Equal(2, Alerts(f).Count); // edges at 2 s (fires), 5 s (3 s later: suppressed), 8 s (6 s later: fires)
    }

    [Fact]
    public async Task A_condition_that_never_holds_never_fires()
    {
        await using var f = await StartAsync(Model($$"""[ { "name": "never", "trigger": { "type": "condition", "condition": "temperature < 0" }, "action": {{Alert}} } ]"""));

        f.Advance(10_000);

        Assert.Empty(Alerts(f));
    }

    [Fact]
    public async Task Time_after_fires_once_after_the_start()
    {
        await using var f = await StartAsync(Model($$"""[ { "name": "once", "trigger": { "type": "time", "afterMs": 5000 }, "action": {{Alert}} } ]"""));

        f.Advance(4999);
        int before = Alerts(f).Count;
        f.Advance(20_000);

        Assert.Equal(0, before);
        Assert.Single(Alerts(f));
    }

    [Fact]
    public async Task Time_every_fires_repeatedly()
    {
        await using var f = await StartAsync(Model($$"""[ { "name": "tick", "trigger": { "type": "time", "everyMs": 2000 }, "action": {{Alert}} } ]"""));

        f.Advance(9999);

        Assert.Equal(4, Alerts(f).Count); // 2, 4, 6, 8 s
    }

    [Fact]
    public async Task Cron_fires_at_the_next_utc_occurrences()
    {
        await using var f = await StartAsync(Model($$"""[ { "name": "minutely", "trigger": { "type": "time", "cron": "* * * * *" }, "action": {{Alert}} } ]"""));

        f.Advance(59_999);
        int before = Alerts(f).Count;
        f.Advance(60_001);

        Assert.Equal(0, before);
        Assert.Equal(2, Alerts(f).Count); // 00:01:00 and 00:02:00
    }

    [Fact]
    public async Task Cron_with_seconds_field_is_supported()
    {
        await using var f = await StartAsync(Model($$"""[ { "name": "tens", "trigger": { "type": "time", "cron": "*/10 * * * * *" }, "action": {{Alert}} } ]"""));

        f.Advance(35_000);

        Assert.Equal(3, Alerts(f).Count);
    }

    [Fact]
    public async Task Command_trigger_fires_with_parameters_in_templates()
    {
        await using var f = await StartAsync(Model("""
            [ { "name": "fw", "trigger": { "type": "command", "command": "updateFirmware" },
                "action": { "type": "publish", "topic": "devices/${deviceId}/acks", "payload": { "url": "${firmwareUrl}", "device": "${deviceId}", "note": "from ${firmwareUrl}" } } } ]
            """));

        f.Adapter.Connection("d-0").ReceiveCommand("reboot", "{}");
        int afterOther = Alerts(f, "/acks").Count;
        f.Adapter.Connection("d-0").ReceiveCommand("updateFirmware", """{"firmwareUrl":"http://x/fw.bin"}""");

        Assert.Equal(0, afterOther);
        var ack = Assert.Single(Alerts(f, "/acks"));
        Assert.Equal("""{"url":"http://x/fw.bin","device":"d-0","note":"from http://x/fw.bin"}""", ack.Payload);
        Assert.True(f.Engine.TryGetDeviceMetrics("d-0", out var m));
        Assert.Equal(2, m.CommandsReceived);
    }

    [Fact]
    public async Task Commands_sent_through_the_engine_api_reach_behaviours()
    {
        await using var f = await StartAsync(Model($$"""[ { "name": "rb", "trigger": { "type": "command", "command": "reboot" }, "action": {{Alert}} } ]"""));

        var result = f.Engine.SendCommand("d-0", "reboot");

        Assert.True(result.Succeeded);
        Assert.Single(Alerts(f));
    }

    [Fact]
    public async Task Lifecycle_state_trigger_fires_when_the_device_enters_the_state()
    {
        await using var f = await StartAsync(Model("""
            [ { "name": "online", "trigger": { "type": "state", "state": "running" },
                "action": { "type": "publish", "topic": "devices/${deviceId}/status", "payload": { "state": "${state}" } } } ]
            """));

        var status = Assert.Single(Alerts(f, "/status"));

        Assert.Equal("""{"state":"running"}""", status.Payload);
    }

    [Fact]
    public async Task State_variable_trigger_fires_on_the_matching_value_only()
    {
        await using var f = await StartAsync(Model("""
            [ { "name": "off", "trigger": { "type": "command", "command": "reboot" }, "action": { "type": "setState", "target": "power", "value": "off" } },
              { "name": "wentOff", "trigger": { "type": "state", "state": "power", "value": "off" },
                "action": { "type": "publish", "topic": "devices/${deviceId}/power", "payload": { "power": "${power}" } } },
              { "name": "toOn", "trigger": { "type": "state", "state": "power", "value": "on" },
                "action": { "type": "publish", "topic": "devices/${deviceId}/on", "payload": {} } } ]
            """));

        f.Engine.SendCommand("d-0", "reboot");
        f.Engine.SendCommand("d-0", "reboot"); // already off: no change, no second firing

        Assert.Equal("""{"power":"off"}""", Assert.Single(Alerts(f, "/power")).Payload);
        Assert.Empty(Alerts(f, "/on"));
        Assert.True(f.Engine.TryGetDevice("d-0", out var device));
        Assert.Equal("off", device.CurrentState[0].Text);
    }

    [Fact]
    public async Task Publish_keeps_a_whole_placeholder_a_number_and_mixed_text_a_string()
    {
        await using var f = await StartAsync(Model("""
            [ { "name": "arrhythmiaAlert", "trigger": { "type": "condition", "condition": "temperature > 2" },
                "action": { "type": "publish", "topic": "devices/${deviceId}/alerts",
                            "payload": { "type": "arrhythmia", "heartRate": "${temperature}", "text": "HR=${temperature}", "index": "${index}", "group": "${groupId}", "nested": [ { "p": "${power}" } ], "fixed": 1.5 } } } ]
            """));

        f.Advance(2000);

        using var doc = JsonDocument.Parse(Assert.Single(Alerts(f)).Payload);
        var root = doc.RootElement;
        Assert.Equal(JsonValueKind.Number, root.GetProperty("heartRate").ValueKind);
        Assert.Equal(3, root.GetProperty("heartRate").GetInt32());
        Assert.Equal("HR=3", root.GetProperty("text").GetString());
        Assert.Equal(0, root.GetProperty("index").GetInt32());
        Assert.Equal("g", root.GetProperty("group").GetString());
        Assert.Equal("on", root.GetProperty("nested")[0].GetProperty("p").GetString());
        Assert.Equal(1.5, root.GetProperty("fixed").GetDouble());
    }

    [Fact]
    public async Task Set_action_changes_a_telemetry_value_and_can_fire_conditions()
    {
        await using var f = await StartAsync(Model($$"""
            [ { "name": "force", "trigger": { "type": "command", "command": "reboot" }, "action": { "type": "set", "target": "temperature", "value": 500 } },
              { "name": "hot", "trigger": { "type": "condition", "condition": "temperature > 400" }, "action": {{Alert}} } ]
            """));

        f.Engine.SendCommand("d-0", "reboot");

        Assert.Equal("""{"t":500}""", Assert.Single(Alerts(f)).Payload);
    }

    [Fact]
    public async Task Time_behaviours_stop_with_the_device()
    {
        await using var f = await StartAsync(Model($$"""[ { "name": "tick", "trigger": { "type": "time", "everyMs": 1000 }, "action": {{Alert}} } ]"""));

        f.Advance(2500);
        f.Engine.StopDevice("d-0");
        f.Advance(10_000);

        Assert.Equal(2, Alerts(f).Count);
    }
}
