using System.Text.Json;
using IoTix.Core.Devices;
using IoTix.Core.Protocols;
using IoTix.Core.Strategies;
using IoTix.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace IoTix.Tests.Core.Devices;

public sealed class SimulationEngineTests
{
    [Fact]
    public async Task Group_ids_follow_the_seed_pattern_with_0_based_indexes()
    {
        await using var f = new EngineFixture();

        var result = f.Engine.CreateGroup(EngineFixture.Sensor(), new DeviceGroupSpec { ModelId = "seq-sensor", Count = 3, GroupId = "temp-sensors-batch-1", IdPattern = "temp-sensor-{index}" });

        Assert.True(result.Succeeded);
        Assert.Equal(["temp-sensor-0", "temp-sensor-1", "temp-sensor-2"], result.Value!.DeviceIds);
        Assert.Equal(3, f.Engine.GetStats().DevicesByState["created"]);
    }

    [Fact]
    public async Task Default_id_pattern_is_groupId_dash_index_and_dollar_form_works()
    {
        await using var f = new EngineFixture();

        var byDefault = f.Engine.CreateGroup(EngineFixture.Sensor(), new DeviceGroupSpec { ModelId = "seq-sensor", Count = 2, GroupId = "lab" });
        var dollar = f.Engine.CreateGroup(EngineFixture.Sensor(), new DeviceGroupSpec { ModelId = "seq-sensor", Count = 1, GroupId = "x", IdPattern = "s-${index}-${groupId}" });

        Assert.Equal(["lab-0", "lab-1"], byDefault.Value!.DeviceIds);
        Assert.Equal(["s-0-x"], dollar.Value!.DeviceIds);
    }

    [Fact]
    public async Task Duplicate_group_and_colliding_device_ids_are_refused()
    {
        await using var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Sensor(), 2, "a");

        var sameGroup = f.Engine.CreateGroup(EngineFixture.Sensor(), new DeviceGroupSpec { ModelId = "m", Count = 1, GroupId = "a" });
        var collision = f.Engine.CreateGroup(EngineFixture.Sensor(), new DeviceGroupSpec { ModelId = "m", Count = 2, GroupId = "b", IdPattern = "a-{index}" });
        var noIndex = f.Engine.CreateGroup(EngineFixture.Sensor(), new DeviceGroupSpec { ModelId = "m", Count = 2, GroupId = "c", IdPattern = "fixed" });

        Assert.Equal(EngineErrorCode.AlreadyExists, sameGroup.Error!.Code);
        Assert.Equal(EngineErrorCode.AlreadyExists, collision.Error!.Code);
        Assert.Equal(EngineErrorCode.InvalidArgument, noIndex.Error!.Code);
        Assert.Equal(2, f.Engine.GetStats().DeviceCount);
    }

    [Fact]
    public async Task A_model_without_a_registered_adapter_is_an_error_value()
    {
        await using var engine = new SimulationEngine(new FakeTimeProvider(), Options.Create(new SimulationOptions()), [], IoTix.Tests.Core.Generators.GeneratorKit.NewFactory(), NullLogger<SimulationEngine>.Instance);

        var result = engine.CreateGroup(EngineFixture.Sensor(), new DeviceGroupSpec { ModelId = "seq-sensor", Count = 1 });

        Assert.False(result.Succeeded);
        Assert.Equal(EngineErrorCode.NoAdapter, result.Error!.Code);
        Assert.StartsWith("no adapter registered for protocol mqtt", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unavailable_generator_type_is_an_error_value()
    {
        await using var f = new EngineFixture();
        var model = EngineFixture.Model("""
            { "id": "r", "name": "r", "type": "sensor", "protocol": "mqtt",
              "telemetry": [ { "name": "t", "generator": { "type": "weird" } } ] }
            """);

        var result = f.Engine.CreateDevice(model);

        Assert.Equal(EngineErrorCode.InvalidModel, result.Error!.Code);
        Assert.Contains("generator type 'weird'", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Linear_launch_of_5000_devices_at_10ms_runs_50_simulated_seconds()
    {
        await using var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Sensor(intervalMs: 60_000), 5000);

        var plan = f.Engine.StartGroup("g", new LaunchStrategy { Strategy = LaunchStrategyKind.Linear, DelayMs = 10 });
        f.Advance(25_000);
        int halfway = f.Engine.GetStats().RunningDeviceCount;
        f.Advance(24_989);
        int justBefore = f.Engine.GetStats().RunningDeviceCount;
        f.Advance(1);

        Assert.Equal(TimeSpan.FromMilliseconds(49_990), plan.Value!.Duration);
        Assert.Equal(2501, halfway);
        Assert.Equal(4999, justBefore);
        Assert.Equal(5000, f.Engine.GetStats().RunningDeviceCount);
        Assert.Equal(5000, f.Adapter.PublishedCount); // each publishes its first value on start
    }

    [Fact]
    public async Task Batch_launch_starts_whole_batches()
    {
        await using var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Sensor(intervalMs: 60_000), 1000);

        f.Engine.StartGroup("g", new LaunchStrategy { Strategy = LaunchStrategyKind.Batch, BatchSize = 100, DelayMs = 500 });
        int first = f.Engine.GetStats().RunningDeviceCount;
        f.Advance(499);
        int before = f.Engine.GetStats().RunningDeviceCount;
        f.Advance(1);

        Assert.Equal(100, first);
        Assert.Equal(100, before);
        Assert.Equal(200, f.Engine.GetStats().RunningDeviceCount);
    }

    [Fact]
    public async Task Exponential_launch_respects_the_cap()
    {
        await using var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Sensor(intervalMs: 60_000), 10);

        var plan = f.Engine.StartGroup("g", new LaunchStrategy { Strategy = LaunchStrategyKind.Exponential, DelayMs = 100, ExponentBase = 10, MaxDelayMs = 1000 });
        f.Advance(1099);
        int beforeCap = f.Engine.GetStats().RunningDeviceCount;
        f.Advance(1);

        // gaps 100, 1000 (capped), 1000 ...: offsets 0, 100, 1100, 2100 ...
        Assert.Equal(TimeSpan.FromMilliseconds(8100), plan.Value!.Duration);
        Assert.Equal(2, beforeCap);
        Assert.Equal(3, f.Engine.GetStats().RunningDeviceCount);
    }

    [Fact]
    public async Task Running_devices_publish_json_on_their_interval()
    {
        await using var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Sensor(intervalMs: 1000), 1, "g", "dev-{index}");

        f.Engine.StartGroup("g");
        f.Advance(2000);

        var messages = f.Adapter.MessagesFor("dev-0");
        Assert.Equal(3, messages.Count);
        Assert.All(messages, m => Assert.Equal("devices/dev-0/telemetry", m.Topic));
        using var last = JsonDocument.Parse(messages[^1].Payload);
        Assert.Equal(3, last.RootElement.GetProperty("temperature").GetDouble());
        Assert.Equal("dev-0", last.RootElement.GetProperty("deviceId").GetString());
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 0, 0, 2, TimeSpan.Zero), last.RootElement.GetProperty("timestamp").GetDateTimeOffset());
        var metrics = f.Engine.ListDevices("g").Single();
        Assert.Equal(3, metrics.MessagesSent);
        Assert.Equal(f.Engine.GetStats().BytesSent, metrics.BytesSent);
    }

    [Fact]
    public async Task Items_due_together_share_one_message_and_other_intervals_send_alone()
    {
        await using var f = new EngineFixture();
        var model = EngineFixture.Model("""
            { "id": "env", "name": "env", "type": "sensor", "protocol": "mqtt",
              "telemetry": [
                { "name": "a", "generator": { "type": "constant", "value": 1 }, "intervalMs": 1000 },
                { "name": "b", "generator": { "type": "constant", "value": 2 }, "intervalMs": 1000 },
                { "name": "c", "generator": { "type": "constant", "value": 3 }, "intervalMs": 3000 } ] }
            """);
        f.CreateGroup(model, 1);

        f.Engine.StartGroup("g");
        f.Advance(1000);

        var messages = f.Adapter.Messages;
        Assert.Equal(2, messages.Count);
        Assert.Contains("\"c\":3", messages[0].Payload, StringComparison.Ordinal);
        Assert.Contains("\"a\":1,\"b\":2", messages[1].Payload, StringComparison.Ordinal);
        Assert.DoesNotContain("\"c\"", messages[1].Payload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_group_cancels_pending_launches_and_disconnects_gracefully()
    {
        await using var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Sensor(), 10);
        f.Engine.StartGroup("g", new LaunchStrategy { Strategy = LaunchStrategyKind.Linear, DelayMs = 100 });
        f.Advance(450);

        var stopped = f.Engine.StopGroup("g");
        long published = f.Adapter.PublishedCount;
        f.Advance(5000);

        Assert.Equal(5, stopped.Value);
        Assert.Equal(published, f.Adapter.PublishedCount);
        var stats = f.Engine.GetGroupStats("g").Value!;
        Assert.Equal(5, stats.DevicesByState["stopped"]);
        Assert.Equal(5, stats.DevicesByState["created"]);
        Assert.All(f.Adapter.Disconnects, d => Assert.Equal(DisconnectMode.Graceful, d.Mode));
        Assert.Equal(5, f.Adapter.Disconnects.Count);
    }

    [Fact]
    public async Task A_failed_connect_leaves_the_device_failed_with_the_error()
    {
        await using var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Sensor(), 2);
        f.Adapter.FailConnectFor.Add("g-1");

        f.Engine.StartGroup("g");

        Assert.True(f.Engine.TryGetDeviceMetrics("g-1", out var failed));
        Assert.Equal(DeviceState.Failed, failed.State);
        Assert.Equal("refused by test", failed.LastError);
        Assert.Equal(1, f.Engine.GetStats().RunningDeviceCount);
    }

    [Fact]
    public async Task Asynchronous_connects_complete_through_the_loop()
    {
        await using var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Sensor(), 3);
        f.Adapter.PendingConnect = new TaskCompletionSource<ConnectResult>(TaskCreationOptions.RunContinuationsAsynchronously);

        var allRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int running = 0;
        f.Engine.DeviceStateChanged += (_, e) =>
        {
            if (e.To == DeviceState.Running && Interlocked.Increment(ref running) == 3)
            {
                allRunning.SetResult();
            }
        };

        f.Engine.StartGroup("g");
        int starting = f.Engine.GetStats().DevicesByState["starting"];
        f.Adapter.PendingConnect.SetResult(ConnectResult.Success);
        await allRunning.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(3, starting);
        Assert.Equal(3, f.Engine.GetStats().RunningDeviceCount);
    }

    [Fact]
    public async Task State_changes_raise_events_and_keep_per_state_counts()
    {
        await using var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Sensor(), 2);
        var events = new List<DeviceStateChangedEventArgs>();
        f.Engine.DeviceStateChanged += (_, e) => events.Add(e);

        f.Engine.StartGroup("g");
        f.Engine.StopDevice("g-0");

        Assert.Equal(
            ["g-0:Starting", "g-0:Running", "g-1:Starting", "g-1:Running", "g-0:Stopping", "g-0:Stopped"],
            events.Select(e => $"{e.DeviceId}:{e.To}"));
        var stats = f.Engine.GetStats();
        Assert.Equal(1, stats.DevicesByState["running"]);
        Assert.Equal(1, stats.DevicesByState["stopped"]);
        Assert.Equal(0, stats.DevicesByState["created"]);
    }

    [Fact]
    public async Task Starting_a_running_device_is_refused_as_a_value()
    {
        await using var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Sensor(), 1);
        f.Engine.StartGroup("g");

        var again = f.Engine.StartDevice("g-0");
        var missing = f.Engine.StartDevice("nope");

        Assert.Equal(EngineErrorCode.InvalidState, again.Error!.Code);
        Assert.Equal(EngineErrorCode.NotFound, missing.Error!.Code);
    }

    [Fact]
    public async Task Dropout_by_percentage_drops_abruptly_on_the_linear_timeline()
    {
        await using var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Sensor(intervalMs: 60_000), 10);
        f.Engine.StartGroup("g");

        var schedule = f.Engine.Dropout("g", new DropoutPlan { Strategy = DropoutStrategyKind.Linear, Percentage = 50, DelayMs = 1000 });
        int atZero = f.Engine.GetStats().DevicesByState["dropped"];
        f.Advance(3999);
        int beforeLast = f.Engine.GetStats().DevicesByState["dropped"];
        f.Advance(1);

        Assert.Equal(5, schedule.Value!.Devices.Count);
        Assert.Equal(10, schedule.Value.EligibleCount);
        Assert.Equal(1, atZero);
        Assert.Equal(4, beforeLast);
        Assert.Equal(5, f.Engine.GetStats().DevicesByState["dropped"]);
        Assert.Equal(5, f.Engine.GetStats().RunningDeviceCount);
        Assert.All(f.Adapter.Disconnects, d => Assert.Equal(DisconnectMode.Abrupt, d.Mode));
    }

    [Fact]
    public async Task Dropout_with_reconnect_brings_devices_back_after_the_delay()
    {
        await using var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Sensor(intervalMs: 1000), 10);
        f.Engine.StartGroup("g");

        f.Engine.Dropout("g", new DropoutPlan { Strategy = DropoutStrategyKind.Immediate, Count = 3, Reconnect = true, ReconnectDelayMs = 30_000 });
        f.Advance(29_999);
        int stillDropped = f.Engine.GetStats().DevicesByState["dropped"];
        f.Advance(1);

        Assert.Equal(3, stillDropped);
        Assert.Equal(10, f.Engine.GetStats().RunningDeviceCount);
        Assert.Equal(3, f.Engine.ListDevices("g").Sum(d => d.Reconnects));
        Assert.Equal(3, f.Engine.ListDevices("g").Sum(d => d.Drops));
    }

    [Fact]
    public async Task Dropped_devices_stop_publishing_until_they_reconnect()
    {
        await using var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Sensor(intervalMs: 1000), 1);
        f.Engine.StartGroup("g");

        f.Engine.Dropout("g", new DropoutPlan { Strategy = DropoutStrategyKind.Immediate, Count = 1, Reconnect = true, ReconnectDelayMs = 5000 });
        f.Advance(4999);
        long during = f.Adapter.PublishedCount;
        f.Advance(1);

        Assert.Equal(1, during);
        Assert.Equal(2, f.Adapter.PublishedCount);
    }

    [Fact]
    public async Task Random_dropout_is_reproducible_with_the_run_seed()
    {
        async Task<string[]> RunAsync(long seed)
        {
            await using var f = new EngineFixture(seed);
            f.CreateGroup(EngineFixture.Sensor(intervalMs: 60_000), 50);
            f.Engine.StartGroup("g");
            var schedule = f.Engine.Dropout("g", new DropoutPlan { Strategy = DropoutStrategyKind.Random, Count = 10, DurationMs = 60_000 }).Value!;
            f.Advance(60_000);
            Assert.Equal(10, f.Engine.GetStats().DevicesByState["dropped"]);
            Assert.All(schedule.Devices, d => Assert.InRange(d.DropAt, TimeSpan.Zero, TimeSpan.FromMilliseconds(59_999)));
            return schedule.Devices.Select(d => $"{d.DeviceId}@{d.DropAt.TotalMilliseconds}").ToArray();
        }

        var first = await RunAsync(7);
        var again = await RunAsync(7);
        var other = await RunAsync(8);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public async Task Dropout_only_picks_running_devices_and_validates_the_plan()
    {
        await using var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Sensor(), 4);
        f.Engine.StartDevice("g-0");
        f.Engine.StartDevice("g-1");

        var schedule = f.Engine.Dropout("g", new DropoutPlan { Strategy = DropoutStrategyKind.Immediate, Percentage = 100 });
        var invalid = f.Engine.Dropout("g", new DropoutPlan { Percentage = 101 });

        Assert.Equal(["g-0", "g-1"], schedule.Value!.Devices.Select(d => d.DeviceId).Order());
        Assert.Equal(EngineErrorCode.InvalidArgument, invalid.Error!.Code);
        Assert.StartsWith("percentage must be between 0 and 100", invalid.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lost_connections_drop_the_device()
    {
        await using var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Sensor(), 1);
        f.Engine.StartGroup("g");

        f.Adapter.Connection("g-0").Lose("broker closed the connection");

        Assert.True(f.Engine.TryGetDeviceMetrics("g-0", out var m));
        Assert.Equal(DeviceState.Dropped, m.State);
        Assert.Equal("broker closed the connection", m.LastError);
    }

    [Fact]
    public async Task Deleting_a_group_removes_its_devices_and_their_work()
    {
        await using var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Sensor(intervalMs: 100), 20);
        f.Engine.StartGroup("g");

        var deleted = f.Engine.DeleteGroup("g");
        long published = f.Adapter.PublishedCount;
        f.Advance(1000);

        Assert.Equal(20, deleted.Value);
        Assert.Equal(published, f.Adapter.PublishedCount);
        var stats = f.Engine.GetStats();
        Assert.Equal(0, stats.DeviceCount);
        Assert.All(stats.DevicesByState.Values, v => Assert.Equal(0, v));
        Assert.Equal(EngineErrorCode.NotFound, f.Engine.DeleteGroup("g").Error!.Code);
    }

    [Fact]
    public async Task Max_devices_bounds_creation()
    {
        await using var f = new EngineFixture(options: new SimulationOptions { MaxDevices = 10 });

        var tooMany = f.Engine.CreateGroup(EngineFixture.Sensor(), new DeviceGroupSpec { ModelId = "m", Count = 11, GroupId = "big" });

        Assert.Equal(EngineErrorCode.LimitExceeded, tooMany.Error!.Code);
        Assert.Contains("IoTix:Simulation:MaxDevices", tooMany.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_run_seed_comes_from_the_options_and_is_reported()
    {
        await using var f = new EngineFixture(seed: 12345);

        Assert.Equal(12345UL, f.Engine.RunSeed);
        Assert.Equal(12345UL, f.Engine.GetStats().RunSeed);
        Assert.Contains(f.Logger.Entries, e => e.Message.Contains("run seed 12345", StringComparison.Ordinal));
    }
}
