using System.Text.Json;
using IoTix.Core.Devices;
using IoTix.Core.Models;
using IoTix.Core.Protocols;
using IoTix.Tests.Core.Devices;

namespace IoTix.Tests.Core.Behaviors;

public sealed class FailureModeTests
{
    private static string Model(string behaviors, string telemetry = """{ "name": "temperature", "type": "number", "generator": { "type": "sequence", "start": 1, "step": 1 }, "intervalMs": 1000 }""") => $$"""
        { "id": "fm", "name": "fm", "type": "sensor", "protocol": "mqtt",
          "telemetry": [ {{telemetry}} ],
          "behaviors": {{behaviors}} }
        """;

    private static EngineFixture Start(string model)
    {
        var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Model(model), 1, "g", "d-{index}");
        f.Engine.StartGroup("g");
        return f;
    }

    private static double[] Values(EngineFixture f, string item = "temperature") =>
        f.Adapter.Messages.Where(m => m.Topic.EndsWith("/telemetry", StringComparison.Ordinal))
            .Select(m => JsonDocument.Parse(m.Payload).RootElement.GetProperty(item).GetDouble()).ToArray();

    [Fact]
    public async Task Stuck_sensor_freezes_the_value_for_the_duration()
    {
        await using var f = Start(Model("""[ { "name": "s", "trigger": { "type": "time", "afterMs": 1500 }, "action": { "type": "stuck", "target": "temperature", "durationMs": 3000 } } ]"""));

        f.Advance(6000);

        Assert.Equal([1.0, 2, 2, 2, 2, 3, 4], Values(f));
    }

    [Fact]
    public async Task Spike_adds_the_magnitude_with_its_probability()
    {
        await using var f = Start(Model("""[ { "name": "s", "trigger": { "type": "time", "afterMs": 1500 }, "action": { "type": "spike", "target": "temperature", "magnitude": 100, "probability": 1, "durationMs": 2000 } } ]"""));

        f.Advance(5000);

        Assert.Equal([1.0, 2, 103, 104, 5, 6], Values(f));
    }

    [Fact]
    public async Task Spike_with_probability_zero_changes_nothing()
    {
        await using var f = Start(Model("""[ { "name": "s", "trigger": { "type": "time", "afterMs": 0 }, "action": { "type": "spike", "target": "temperature", "magnitude": 100, "probability": 0 } } ]"""));

        f.Advance(5000);

        Assert.Equal([1.0, 2, 3, 4, 5, 6], Values(f));
    }

    [Fact]
    public async Task Drift_adds_magnitude_per_second_progressively()
    {
        await using var f = Start(Model("""[ { "name": "d", "trigger": { "type": "time", "afterMs": 1500 }, "action": { "type": "drift", "target": "temperature", "magnitude": 1 } } ]"""));

        f.Advance(4000);

        Assert.Equal([1.0, 2, 3.5, 5.5, 7.5], Values(f));
    }

    [Fact]
    public async Task Battery_drain_lowers_the_battery_and_fails_the_device_at_zero()
    {
        await using var f = Start(Model(
            """[ { "name": "drain", "trigger": { "type": "time", "afterMs": 0 }, "action": { "type": "batteryDrain", "magnitude": 50 } } ]""",
            """{ "name": "battery", "type": "number", "generator": { "type": "constant", "value": 100 }, "intervalMs": 30000 }"""));

        f.Advance(200_000);

        Assert.Equal([100.0, 75, 50, 25, 0], Values(f, "battery"));
        Assert.True(f.Engine.TryGetDeviceMetrics("d-0", out var m));
        Assert.Equal(DeviceState.Failed, m.State);
        Assert.Equal("battery empty", m.LastError);
        Assert.Contains(f.Adapter.Disconnects, d => d.Mode == DisconnectMode.Abrupt);
    }

    [Fact]
    public async Task Silence_stops_publishing_but_keeps_the_connection()
    {
        await using var f = Start(Model("""[ { "name": "quiet", "trigger": { "type": "time", "afterMs": 1500 }, "action": { "type": "silence", "durationMs": 2000 } } ]"""));

        f.Advance(4000);

        Assert.Equal([1.0, 2, 5], Values(f)); // values still advance while silent
        Assert.Empty(f.Adapter.Disconnects);
        Assert.Equal(1, f.Engine.GetStats().RunningDeviceCount);
    }

    [Fact]
    public async Task Flap_drops_and_reconnects_repeatedly_within_its_duration()
    {
        await using var f = Start(Model("""[ { "name": "flap", "trigger": { "type": "time", "afterMs": 0 }, "action": { "type": "flap", "probability": 1, "magnitude": 500, "durationMs": 3500 } } ]"""));

        f.Advance(10_000);

        Assert.True(f.Engine.TryGetDeviceMetrics("d-0", out var m));
        Assert.Equal(3, m.Drops); // checks at 1, 2, 3 s; the 4 s check is past the duration
        Assert.Equal(3, m.Reconnects);
        Assert.Equal(DeviceState.Running, m.State);
        Assert.Equal(3, f.Adapter.Disconnects.Count(d => d.Mode == DisconnectMode.Abrupt));
    }

    [Fact]
    public async Task Fail_with_duration_recovers_by_reconnecting()
    {
        await using var f = Start(Model("""[ { "name": "f", "trigger": { "type": "time", "afterMs": 1000 }, "action": { "type": "fail", "durationMs": 5000 } } ]"""));

        f.Advance(3000);
        var during = f.Engine.ListDevices().Single().State;
        f.Advance(3000);

        Assert.Equal(DeviceState.Failed, during);
        Assert.Equal(DeviceState.Running, f.Engine.ListDevices().Single().State);
    }

    [Fact]
    public async Task Disconnect_drops_abruptly_so_the_broker_sends_the_last_will()
    {
        await using var f = Start(Model("""[ { "name": "x", "trigger": { "type": "time", "afterMs": 1000 }, "action": { "type": "disconnect" } } ]"""));

        f.Advance(5000);

        Assert.Equal(DeviceState.Dropped, f.Engine.ListDevices().Single().State);
        Assert.Equal(("d-0", DisconnectMode.Abrupt), Assert.Single(f.Adapter.Disconnects));
    }

    [Fact]
    public async Task Recover_clears_effects()
    {
        await using var f = Start(Model("""
            [ { "name": "s", "trigger": { "type": "time", "afterMs": 1500 }, "action": { "type": "stuck", "target": "temperature" } },
              { "name": "r", "trigger": { "type": "time", "afterMs": 3500 }, "action": { "type": "recover" } } ]
            """));

        f.Advance(5000);

        Assert.Equal([1.0, 2, 2, 2, 3, 4], Values(f));
    }

    [Fact]
    public async Task Api_applied_failure_modes_take_effect_and_bad_ones_are_refused()
    {
        await using var f = Start(Model("[]"));

        var applied = f.Engine.ApplyAction("d-0", new ActionDefinition { Type = "stuck", Target = "temperature" });
        var refused = f.Engine.ApplyAction("d-0", new ActionDefinition { Type = "stuck", Target = "nope" });
        f.Advance(2000);

        Assert.True(applied.Succeeded);
        Assert.Equal(EngineErrorCode.InvalidArgument, refused.Error!.Code);
        Assert.StartsWith("action.target: unknown telemetry item 'nope'", refused.Error.Message, StringComparison.Ordinal);
        Assert.Equal([1.0, 1, 1], Values(f));
    }
}
