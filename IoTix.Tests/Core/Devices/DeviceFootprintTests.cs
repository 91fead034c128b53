using IoTix.Core.Devices;
using IoTix.Core.Generators;
using IoTix.Core.Models;
using IoTix.Core.Protocols;
using IoTix.Core.Strategies;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace IoTix.Tests.Core.Devices;

/// <summary>Heap measurements see the whole process: these tests run alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(HeapMeasurementCollection), DisableParallelization = true)]
public sealed class HeapMeasurementCollection;

/// <summary>
/// What a device costs in memory: a million devices must fit in well under 1 GB. The bound is a
/// size property (about 1.5 times the measured footprint), not a timing.
/// </summary>
[Collection(nameof(HeapMeasurementCollection))]
public sealed class DeviceFootprintTests
{
    /// <summary>Measured 562 bytes per device here (the benchmark measured 1,145 before the compact layout); the bound is 1.5 times that.</summary>
    private const long MaxBytesPerDevice = 850;

    /// <summary>The benchmark's environmental sensor (bench/IoTix.Bench/Core/CoreBenchmark.cs).</summary>
    private static DeviceModel BenchSensor() => EngineFixture.Model("""
        {
          "id": "bench-env", "name": "Bench environmental sensor", "type": "sensor", "protocol": "mqtt",
          "connection": { "broker": "localhost", "topicPattern": "devices/${deviceId}/telemetry", "qos": 0 },
          "telemetry": [
            { "name": "temperature", "type": "number", "generator": { "type": "random", "min": 15, "max": 35, "distribution": "normal", "mean": 22, "stddev": 3 }, "intervalMs": 10000 },
            { "name": "humidity", "type": "number", "generator": { "type": "random", "min": 20, "max": 90 }, "intervalMs": 10000 },
            { "name": "pressure", "type": "number", "generator": { "type": "random", "min": 980, "max": 1040, "distribution": "normal", "mean": 1013.25, "stddev": 10 }, "intervalMs": 10000 }
          ]
        }
        """);

    [Fact]
    public async Task Ten_thousand_three_item_sensors_hold_less_than_850_bytes_of_heap_each()
    {
        await using var engine = NewEngine(new NoIoAdapter());
        var model = BenchSensor();
        Assert.True(engine.CreateDevice(model, "warm-up").Succeeded); // per-model work is not per device
        const int devices = 10_000;

        // The heap is the process's: another test's host or finalizers can free or allocate megabytes between the two
        // readings. Three groups are measured one after the other and the median is judged.
        var perGroup = new long[3];
        for (int g = 0; g < perGroup.Length; g++)
        {
            long before = HeapAfterFullCollection();
            var created = engine.CreateGroup(model, new DeviceGroupSpec { ModelId = model.Id, Count = devices, GroupId = $"bench{g}", IdPattern = $"dev{g}-${{index}}" });
            long after = HeapAfterFullCollection();
            Assert.True(created.Succeeded, created.ToString());
            perGroup[g] = (after - before) / devices;
        }

        Assert.Equal((3 * devices) + 1, engine.GetStats().DeviceCount);
        Array.Sort(perGroup);
        Assert.InRange(perGroup[1], 1, MaxBytesPerDevice);
    }

    [Fact]
    public async Task A_device_without_behaviours_gets_its_side_object_only_on_a_rare_event()
    {
        await using var f = new EngineFixture();
        f.CreateGroup(BenchSensor(), 2, "g", "d-{index}");
        f.Engine.StartGroup("g");
        f.Advance(30_000);
        Assert.True(f.Engine.TryGetDevice("d-0", out var first));
        Assert.True(f.Engine.TryGetDevice("d-1", out var second));
        bool extrasWhileRunning = first.Extras is not null || second.Extras is not null;
        int messagesWhileRunning = f.Adapter.Messages.Count;

        f.Engine.Dropout("g", new DropoutPlan { Strategy = DropoutStrategyKind.Immediate, Count = 2, Reconnect = true, ReconnectDelayMs = 1000 });
        f.Advance(1000);

        Assert.False(extrasWhileRunning);
        Assert.Equal(8, messagesWhileRunning); // 0, 10, 20, 30 s for each device
        Assert.NotNull(first.Extras);
        Assert.True(f.Engine.TryGetDeviceMetrics("d-1", out var metrics));
        Assert.Equal(1, metrics.Drops);
        Assert.Equal(1, metrics.Reconnects);
        Assert.Equal(DeviceState.Running, metrics.State);
    }

    [Fact]
    public async Task Devices_produce_the_values_their_items_generators_produce_for_the_same_seed()
    {
        // All items shared and on one interval (no per-item due times), and a mixed model (a sequence
        // item with its own generator object, items on different intervals, a constant).
        var uniform = BenchSensor();
        var mixed = EngineFixture.Model("""
            {
              "id": "mixed", "name": "mixed", "type": "sensor", "protocol": "mqtt",
              "telemetry": [
                { "name": "n", "type": "number", "generator": { "type": "random", "min": 0, "max": 10, "distribution": "exponential", "mean": 2 }, "intervalMs": 1000 },
                { "name": "k", "type": "integer", "generator": { "type": "random", "min": -5, "max": 5 }, "intervalMs": 500 },
                { "name": "b", "type": "boolean", "generator": { "type": "random", "mean": 0.3 }, "intervalMs": 250 },
                { "name": "s", "type": "string", "generator": { "type": "random", "values": ["a", "b", "c"] }, "intervalMs": 1000 },
                { "name": "c", "type": "number", "generator": { "type": "constant", "value": 4.5 }, "intervalMs": 1000 },
                { "name": "q", "type": "number", "generator": { "type": "sequence", "start": 1, "step": 2 }, "intervalMs": 2000 }
              ]
            }
            """);
        await using var f = new EngineFixture(seed: 7);
        f.CreateGroup(uniform, 3, "u", "u-{index}");
        f.CreateGroup(mixed, 3, "m", "m-{index}");
        f.Engine.StartGroup("u");
        f.Engine.StartGroup("m");

        f.Advance(20_000);

        var factory = IoTix.Tests.Core.Generators.GeneratorKit.NewFactory();
        foreach (var (model, prefix, elapsed) in new[] { (uniform, "u", 20_000), (mixed, "m", 20_000) })
        {
            var prepared = factory.Prepare(model, null);
            for (int index = 0; index < 3; index++)
            {
                string id = $"{prefix}-{index}";
                Assert.True(f.Engine.TryGetDevice(id, out var device));
                for (int i = 0; i < model.Telemetry.Count; i++)
                {
                    var generator = prepared.Create(i, new GeneratorContext(id, index, 7, i, null));
                    var expected = new TelemetryValue { Type = model.Telemetry[i].Type };
                    int values = (elapsed / model.Telemetry[i].IntervalMs) + 1; // one at start, then one per interval
                    for (int k = 0; k < values; k++)
                    {
                        generator.Next(ref expected, k * (long)model.Telemetry[i].IntervalMs);
                    }

                    var actual = device.CurrentValues[i];
                    Assert.True(actual.HasValue, $"{id} item {i}");
                    Assert.Equal(expected.Number, actual.Number);
                    Assert.Equal(expected.Boolean, actual.Boolean);
                    Assert.Equal(expected.Text, actual.Text);
                }
            }
        }
    }

    private static SimulationEngine NewEngine(IProtocolAdapter adapter) =>
        new(new FakeTimeProvider(), Options.Create(new SimulationOptions { Seed = 1 }), [adapter], IoTix.Tests.Core.Generators.GeneratorKit.NewFactory(), NullLogger<SimulationEngine>.Instance);

    private static long HeapAfterFullCollection()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>An adapter whose connections hold nothing, so the measurement is the engine's share.</summary>
    private sealed class NoIoAdapter : IProtocolAdapter
    {
        public string Protocol => "mqtt";

        public IDeviceConnection CreateConnection(DeviceConnectionContext context) => new Connection();

        public ProtocolAdapterMetrics GetMetrics() => default;

        private sealed class Connection : IDeviceConnection
        {
            public bool IsConnected { get; private set; }

            public ValueTask<ConnectResult> ConnectAsync(CancellationToken cancellationToken = default)
            {
                IsConnected = true;
                return ValueTask.FromResult(ConnectResult.Success);
            }

            public PublishStatus TryPublish(string topic, ReadOnlySpan<byte> payload, int qos, bool retain) => PublishStatus.Accepted;

            public ValueTask DisconnectAsync(DisconnectMode mode, CancellationToken cancellationToken = default)
            {
                IsConnected = false;
                return ValueTask.CompletedTask;
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
