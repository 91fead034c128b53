using IoTix.Core.Devices;
using IoTix.Core.Models;
using IoTix.Core.Strategies;

namespace IoTix.Web.Cli.Run;

/// <summary>
/// The devices one run process owns: one engine group, launched, dropped and stopped by the engine.
/// A shard <c>K/N</c> is the slice of the group whose global indexes <c>i</c> satisfy <c>i % N == K - 1</c>
/// (<see cref="DeviceGroupSpec.IndexStart"/> <c>K-1</c>, <see cref="DeviceGroupSpec.IndexStride"/> <c>N</c>):
/// its devices have the ids, indexes (generators, patterns) and launch offsets they have in the whole group.
/// </summary>
internal sealed class DevicePopulation
{
    private DevicePopulation(SimulationEngine engine, string groupId, int deviceCount)
    {
        Engine = engine;
        GroupId = groupId;
        DeviceCount = deviceCount;
    }

    private SimulationEngine Engine { get; }

    public string GroupId { get; }

    /// <summary>Devices this process runs.</summary>
    public int DeviceCount { get; }

    /// <summary>Creates the run's devices: the whole group, or one shard of it.</summary>
    public static EngineResult<DevicePopulation> Create(SimulationEngine engine, DeviceModel model, string groupId, string? idPattern, int count, ShardSpec shard)
    {
        int size = shard.SizeOf(count);
        var created = engine.CreateGroup(model, new DeviceGroupSpec
        {
            ModelId = model.Id,
            Count = size,
            GroupId = groupId,
            IdPattern = idPattern,
            IndexStart = shard.Index - 1,
            IndexStride = shard.Count,
        });
        return created.Succeeded
            ? EngineResult<DevicePopulation>.Ok(new DevicePopulation(engine, groupId, size))
            : created.Error!;
    }

    /// <summary>Starts the launch on the engine's scheduler; returns when this process's last device is due, from now.</summary>
    public TimeSpan StartLaunch(LaunchStrategy launch)
    {
        var plan = Engine.StartGroup(GroupId, launch);
        return plan.Succeeded ? plan.Value!.Duration : TimeSpan.Zero;
    }

    /// <summary>Starts a dropout among this process's running devices; returns how many devices will drop, or an error.</summary>
    public EngineResult<int> StartDropout(DropoutPlan plan)
    {
        var schedule = Engine.Dropout(GroupId, plan);
        return schedule.Succeeded ? EngineResult<int>.Ok(schedule.Value!.Devices.Count) : schedule.Error!;
    }

    /// <summary>Stops every device (pending launches cancelled, graceful disconnects).</summary>
    public void Stop() => Engine.StopGroup(GroupId);
}
