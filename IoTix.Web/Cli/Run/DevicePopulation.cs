using IoTix.Core.Devices;
using IoTix.Core.Generators;
using IoTix.Core.Models;
using IoTix.Core.Strategies;

namespace IoTix.Web.Cli.Run;

/// <summary>
/// The devices one run process owns, and how they are launched, dropped and stopped.
/// An unsharded run is one engine group driven by the engine itself (<see cref="SimulationEngine.StartGroup"/>,
/// <see cref="SimulationEngine.Dropout"/>). A shard owns the devices whose global index <c>i</c>
/// satisfies <c>i % N == K - 1</c>, with the ids, indexes and start offsets they have in the whole
/// group; the engine cannot create or start a subset of a group's indexes, so a shard schedules its
/// launches itself (see <see cref="ShardPopulation"/>).
/// </summary>
internal abstract class DevicePopulation
{
    protected DevicePopulation(SimulationEngine engine, string groupId, int deviceCount)
    {
        Engine = engine;
        GroupId = groupId;
        DeviceCount = deviceCount;
    }

    protected SimulationEngine Engine { get; }

    public string GroupId { get; }

    /// <summary>Devices this process runs.</summary>
    public int DeviceCount { get; }

    /// <summary>How the shard's devices were created: <c>group</c> (engine group) or <c>devices</c> (single devices with global ids).</summary>
    public abstract string Mode { get; }

    /// <summary>Starts the launch; returns when the last device is due, from now.</summary>
    public abstract TimeSpan StartLaunch(LaunchStrategy launch, int groupCount, TimeProvider time, CancellationToken cancellationToken);

    /// <summary>Starts a dropout among the running devices; returns how many devices will drop, or an error.</summary>
    public abstract EngineResult<int> StartDropout(DropoutPlan plan, TimeProvider time, CancellationToken cancellationToken);

    /// <summary>Stops every device (pending launches cancelled, graceful disconnects).</summary>
    public abstract void Stop();

    /// <summary>Creates the run's devices: the whole group, or one shard of it.</summary>
    public static EngineResult<DevicePopulation> Create(SimulationEngine engine, DeviceModel model, string groupId, string? idPattern, int count, ShardSpec shard)
    {
        if (shard.IsWhole)
        {
            var created = engine.CreateGroup(model, new DeviceGroupSpec { ModelId = model.Id, Count = count, GroupId = groupId, IdPattern = idPattern });
            return created.Succeeded
                ? EngineResult<DevicePopulation>.Ok(new GroupPopulation(engine, groupId, count))
                : created.Error!;
        }

        return ShardPopulation.CreateShard(engine, model, groupId, idPattern, count, shard);
    }
}

/// <summary>An unsharded run: one engine group, launched and dropped by the engine's scheduler.</summary>
internal sealed class GroupPopulation(SimulationEngine engine, string groupId, int count) : DevicePopulation(engine, groupId, count)
{
    public override string Mode => "group";

    public override TimeSpan StartLaunch(LaunchStrategy launch, int groupCount, TimeProvider time, CancellationToken cancellationToken)
    {
        var plan = Engine.StartGroup(GroupId, launch);
        return plan.Succeeded ? plan.Value!.Duration : TimeSpan.Zero;
    }

    public override EngineResult<int> StartDropout(DropoutPlan plan, TimeProvider time, CancellationToken cancellationToken)
    {
        var schedule = Engine.Dropout(GroupId, plan);
        return schedule.Succeeded ? EngineResult<int>.Ok(schedule.Value!.Devices.Count) : schedule.Error!;
    }

    public override void Stop() => Engine.StopGroup(GroupId);
}

/// <summary>
/// One shard of a group. Devices keep the ids, indexes and launch offsets of the whole group.
/// When the model's patterns or generators use <c>${index}</c> or <c>${groupId}</c> (or a replay or
/// custom generator, which may depend on the index), the shard creates the whole group in the engine
/// (the only way to give devices their global index; unlaunched devices cost memory, not
/// connections) and starts only its own; otherwise it creates its own devices singly by id.
/// Launches and (for single devices) dropouts run on one loop per shard, timed by the
/// <see cref="TimeProvider"/>.
/// </summary>
internal sealed class ShardPopulation : DevicePopulation
{
    private readonly string[] _ids;
    private readonly int[] _indexes;
    private readonly bool _engineGroup;
    private Task _launch = Task.CompletedTask;
    private Task _dropout = Task.CompletedTask;

    private ShardPopulation(SimulationEngine engine, string groupId, string[] ids, int[] indexes, bool engineGroup)
        : base(engine, groupId, ids.Length)
    {
        _ids = ids;
        _indexes = indexes;
        _engineGroup = engineGroup;
    }

    public override string Mode => _engineGroup ? "group" : "devices";

    public static EngineResult<DevicePopulation> CreateShard(SimulationEngine engine, DeviceModel model, string groupId, string? idPattern, int count, ShardSpec shard)
    {
        int size = shard.SizeOf(count);
        var ids = new string[size];
        var indexes = new int[size];
        for (int i = shard.Index - 1, k = 0; i < count; i += shard.Count, k++)
        {
            indexes[k] = i;
        }

        if (NeedsGlobalIndex(model))
        {
            var created = engine.CreateGroup(model, new DeviceGroupSpec { ModelId = model.Id, Count = count, GroupId = groupId, IdPattern = idPattern });
            if (!created.Succeeded)
            {
                return created.Error!;
            }

            for (int k = 0; k < size; k++)
            {
                ids[k] = created.Value!.DeviceIds[indexes[k]];
            }

            return EngineResult<DevicePopulation>.Ok(new ShardPopulation(engine, groupId, ids, indexes, engineGroup: true));
        }

        var pattern = idPattern ?? "${groupId}-${index}";
        if (!ModelTemplate.TryParse(pattern, out var template, out var patternError))
        {
            return EngineResult<DevicePopulation>.Fail(EngineErrorCode.InvalidArgument, $"idPattern: {patternError}");
        }

        if (!template.Placeholders.Contains("index"))
        {
            return EngineResult<DevicePopulation>.Fail(EngineErrorCode.InvalidArgument, "idPattern must contain {index} or ${index} when count is more than 1");
        }

        for (int k = 0; k < size; k++)
        {
            ids[k] = template.RenderForDevice(string.Empty, indexes[k], groupId);
            var device = engine.CreateDevice(model, ids[k]);
            if (!device.Succeeded)
            {
                return device.Error!;
            }
        }

        return EngineResult<DevicePopulation>.Ok(new ShardPopulation(engine, groupId, ids, indexes, engineGroup: false));
    }

    /// <summary>The global device ids of this shard, in index order.</summary>
    public IReadOnlyList<string> DeviceIds => _ids;

    /// <summary>True when a device's behaviour depends on its index or group beyond its id.</summary>
    internal static bool NeedsGlobalIndex(DeviceModel model)
    {
        foreach (var item in model.Telemetry)
        {
            if (item.Generator.Type is "replay" or "custom")
            {
                return true;
            }
        }

        var json = DeviceModelSerializer.Serialize(model, indented: false);
        return json.Contains("index}", StringComparison.Ordinal) || json.Contains("groupId}", StringComparison.Ordinal);
    }

    public override TimeSpan StartLaunch(LaunchStrategy launch, int groupCount, TimeProvider time, CancellationToken cancellationToken)
    {
        var offsets = new long[groupCount];
        launch.ComputeOffsets(offsets);
        var due = new long[_indexes.Length];
        for (int k = 0; k < due.Length; k++)
        {
            due[k] = offsets[_indexes[k]];
        }

        _launch = LaunchAsync(due, time, cancellationToken);
        return TimeSpan.FromMilliseconds(due.Length == 0 ? 0 : due[^1]);
    }

    private async Task LaunchAsync(long[] due, TimeProvider time, CancellationToken cancellationToken)
    {
        long start = time.GetTimestamp();
        try
        {
            for (int k = 0; k < due.Length; k++)
            {
                var wait = TimeSpan.FromMilliseconds(due[k]) - time.GetElapsedTime(start);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
                }

                Engine.StartDevice(_ids[k]);
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended before the launch did; the rest stay created and count as not launched.
        }
    }

    public override EngineResult<int> StartDropout(DropoutPlan plan, TimeProvider time, CancellationToken cancellationToken)
    {
        if (_engineGroup)
        {
            // Only this shard's devices run in this process, so the engine chooses among them.
            var schedule = Engine.Dropout(GroupId, plan);
            return schedule.Succeeded ? EngineResult<int>.Ok(schedule.Value!.Devices.Count) : schedule.Error!;
        }

        var running = new List<string>();
        foreach (var id in _ids)
        {
            if (Engine.TryGetDeviceMetrics(id, out var m) && m.State == DeviceState.Running)
            {
                running.Add(id);
            }
        }

        // The engine's choice for groups, seeded the same way: run seed, group id, dropout number.
        var timeline = plan.Plan(running.Count, DeviceRandom.Mix(Engine.RunSeed, GroupId, 0x4000));
        var entries = new List<DropoutEntry>(timeline.Entries);
        entries.Sort(static (a, b) => a.DropAtMs.CompareTo(b.DropAtMs));
        _dropout = DropAsync(entries, running, time, cancellationToken);
        return EngineResult<int>.Ok(entries.Count);
    }

    private async Task DropAsync(List<DropoutEntry> entries, List<string> running, TimeProvider time, CancellationToken cancellationToken)
    {
        long start = time.GetTimestamp();
        try
        {
            foreach (var e in entries)
            {
                var wait = TimeSpan.FromMilliseconds(e.DropAtMs) - time.GetElapsedTime(start);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
                }

                // A disconnect action is the engine's abrupt drop (dropped, then reconnecting after durationMs).
                int? reconnectAfter = e.ReconnectAtMs < 0 ? null : (int)Math.Clamp(e.ReconnectAtMs - e.DropAtMs, 1, int.MaxValue);
                Engine.ApplyAction(running[e.Position], new ActionDefinition { Type = "disconnect", DurationMs = reconnectAfter });
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended during the dropout.
        }
    }

    public override void Stop()
    {
        if (_engineGroup)
        {
            Engine.StopGroup(GroupId);
            return;
        }

        foreach (var id in _ids)
        {
            Engine.StopDevice(id);
        }
    }

    /// <summary>Waits for the launch and dropout loops to notice the run's end.</summary>
    public Task CompletionAsync() => Task.WhenAll(_launch, _dropout);
}
