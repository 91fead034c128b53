using IoTix.Core.Devices;
using IoTix.Core.Strategies;

namespace IoTix.Tests.Core.Devices;

/// <summary>
/// Slices of a group (<see cref="DeviceGroupSpec.IndexStart"/>/<see cref="DeviceGroupSpec.IndexStride"/>, what
/// <c>run --shard</c> uses), single devices added to groups or given their own endpoint, and the engine's
/// publish latency aggregation per group and in total.
/// </summary>
public sealed class GroupSliceTests
{
    [Theory]
    [InlineData(10, 3)]
    [InlineData(7, 4)]
    [InlineData(5, 1)]
    public async Task Slices_of_a_group_are_disjoint_and_cover_it_with_global_ids_and_indexes(int count, int shards)
    {
        var seen = new List<(string Id, int Index)>();
        for (int k = 0; k < shards; k++)
        {
            await using var f = new EngineFixture();
            int size = k >= count ? 0 : ((count - k - 1) / shards) + 1;
            var created = f.Engine.CreateGroup(EngineFixture.Sensor(), new DeviceGroupSpec { ModelId = "seq-sensor", Count = size, GroupId = "big", IndexStart = k, IndexStride = shards });

            Assert.True(created.Succeeded, created.ToString());
            foreach (var d in f.Engine.ListDevices("big"))
            {
                Assert.Equal(k, d.Index % shards);
                Assert.Equal(d.Index, f.Adapter.Connection(d.DeviceId).Context.Index);
                seen.Add((d.DeviceId, d.Index));
            }
        }

        Assert.Equal(Enumerable.Range(0, count).Select(i => ($"big-{i}", i)), seen.OrderBy(s => s.Index));
    }

    [Fact]
    public async Task A_slice_launches_each_device_at_its_offset_in_the_whole_group()
    {
        await using var f = new EngineFixture();
        // batch:2:1000 over 8 devices: indexes 0-1 at 0 s, 2-3 at 1 s, 4-5 at 2 s, 6-7 at 3 s. Slice 2/2 owns 1, 3, 5, 7.
        f.Engine.CreateGroup(EngineFixture.Sensor(intervalMs: 60_000), new DeviceGroupSpec { ModelId = "seq-sensor", Count = 4, GroupId = "g", IndexStart = 1, IndexStride = 2 });

        var plan = f.Engine.StartGroup("g", new LaunchStrategy { Strategy = LaunchStrategyKind.Batch, BatchSize = 2, DelayMs = 1000 });
        int atStart = f.Engine.GetStats().RunningDeviceCount;
        f.Advance(999);
        int before = f.Engine.GetStats().RunningDeviceCount;
        f.Advance(1);
        int after = f.Engine.GetStats().RunningDeviceCount;

        Assert.Equal(TimeSpan.FromSeconds(3), plan.Value!.Duration);
        Assert.Equal(1, atStart);
        Assert.Equal(1, before);
        Assert.Equal(2, after);
    }

    [Theory]
    [InlineData(-1, 1)]
    [InlineData(0, 0)]
    [InlineData(SimulationEngine.MaxDeviceIndex, 1)]
    public async Task Bad_index_start_or_stride_is_refused(int start, int stride)
    {
        await using var f = new EngineFixture();

        var result = f.Engine.CreateGroup(EngineFixture.Sensor(), new DeviceGroupSpec { ModelId = "seq-sensor", Count = 2, IndexStart = start, IndexStride = stride });

        Assert.Equal(EngineErrorCode.InvalidArgument, result.Error!.Code);
    }

    [Fact]
    public async Task A_device_added_to_a_group_takes_the_next_index_the_id_pattern_and_the_group_endpoint()
    {
        await using var f = new EngineFixture();
        f.Engine.CreateGroup(EngineFixture.Sensor(), new DeviceGroupSpec { ModelId = "seq-sensor", Count = 2, GroupId = "g", IdPattern = "dev-{index}", EndpointOverride = "10.0.0.1:1884", IndexStart = 1, IndexStride = 3 });

        var added = f.Engine.CreateDevice(EngineFixture.Sensor(), new DeviceSpec { GroupId = "g" });
        var own = f.Engine.CreateDevice(EngineFixture.Sensor(), new DeviceSpec { GroupId = "g", DeviceId = "extra", EndpointOverride = "10.0.0.2" });
        f.Engine.StartGroup("g");

        Assert.True(added.Succeeded, added.ToString());
        Assert.Equal(("dev-7", "g", 7), (added.Value!.DeviceId, added.Value.GroupId, added.Value.Index));
        Assert.Equal("10.0.0.1:1884", f.Adapter.Connection("dev-7").Context.EndpointOverride);
        Assert.Equal("10.0.0.2", f.Adapter.Connection("extra").Context.EndpointOverride);
        Assert.Equal(10, own.Value!.Index);
        Assert.Equal(4, f.Engine.GetGroupStats("g").Value!.DeviceCount);
        Assert.Equal(4, f.Engine.GetStats().RunningDeviceCount);
        Assert.Equal(4, f.Engine.DeleteGroup("g").Value);
    }

    [Fact]
    public async Task A_single_device_may_have_its_own_endpoint_and_bad_requests_are_values()
    {
        await using var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Sensor(), 1, "g");
        var other = EngineFixture.Model("""
            { "id": "other", "name": "Other", "type": "sensor", "protocol": "mqtt",
              "telemetry": [ { "name": "t", "type": "number", "generator": { "type": "constant", "value": 1 } } ] }
            """);

        var single = f.Engine.CreateDevice(other, new DeviceSpec { DeviceId = "solo", EndpointOverride = "[::1]:1883" });
        var noGroup = f.Engine.CreateDevice(EngineFixture.Sensor(), new DeviceSpec { GroupId = "missing" });
        var wrongModel = f.Engine.CreateDevice(other, new DeviceSpec { GroupId = "g" });
        var badEndpoint = f.Engine.CreateDevice(other, new DeviceSpec { EndpointOverride = "host:notaport" });

        Assert.True(single.Succeeded, single.ToString());
        Assert.Null(single.Value!.GroupId);
        Assert.Equal("[::1]:1883", f.Adapter.Connection("solo").Context.EndpointOverride);
        Assert.Equal(EngineErrorCode.NotFound, noGroup.Error!.Code);
        Assert.Equal(EngineErrorCode.InvalidArgument, wrongModel.Error!.Code);
        Assert.Contains("runs model 'seq-sensor'", wrongModel.Error.Message, StringComparison.Ordinal);
        Assert.Equal(EngineErrorCode.InvalidArgument, badEndpoint.Error!.Code);
    }

    [Fact]
    public async Task Publish_latency_is_aggregated_per_group_and_in_total()
    {
        await using var f = new EngineFixture();
        f.CreateGroup(EngineFixture.Sensor(), 2, "a");
        f.CreateGroup(EngineFixture.Sensor(), 1, "b");
        f.Engine.CreateDevice(EngineFixture.Sensor(), "solo");

        // What an adapter does when a PUBACK arrives: record into the context's histogram.
        f.Adapter.Connection("a-0").Context.PublishLatency!.Record(1_000);
        f.Adapter.Connection("a-1").Context.PublishLatency!.Record(3_000);
        f.Adapter.Connection("b-0").Context.PublishLatency!.Record(40_000);
        f.Adapter.Connection("solo").Context.PublishLatency!.Record(500);
        var stats = f.Engine.GetStats();

        var a = stats.Groups.Single(g => g.GroupId == "a").PublishLatency;
        var b = stats.Groups.Single(g => g.GroupId == "b").PublishLatency;
        Assert.Equal((2L, 1.023, 3.0), (a.Count, a.P50Ms, a.MaxMs)); // 1,000 µs lies in the bucket 992..1,023 µs
        Assert.Equal((1L, 40.0), (b.Count, b.P99Ms)); // a bucket bound above the maximum reports the maximum
        Assert.Equal(4, stats.PublishLatency.Count);
        Assert.Equal(40.0, stats.PublishLatency.MaxMs);
        Assert.Equal(f.Engine.GetGroupStats("a").Value!.PublishLatency.Count, a.Count);
    }
}
