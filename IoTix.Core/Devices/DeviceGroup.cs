using IoTix.Core.Models;
using IoTix.Core.Protocols;

namespace IoTix.Core.Devices;

/// <summary>A group of devices created together from one model; started, stopped and dropped as a unit.</summary>
public sealed class DeviceGroup
{
    private SimulatedDevice[] _devices;

    internal DeviceGroup(string localGroupId, DeviceModel model, string idPattern, SimulatedDevice[] devices, DeviceGroupSpec spec, PublishLatencyHistogram latency)
    {
        Namespace = spec.Namespace ?? string.Empty;
        LocalGroupId = localGroupId;
        GroupId = DeviceNamespace.Key(Namespace, localGroupId);
        Model = model;
        IdPattern = idPattern;
        _devices = devices;
        EndpointOverride = spec.EndpointOverride;
        CredentialsOverride = spec.CredentialsOverride;
        IndexStart = spec.IndexStart;
        IndexStride = spec.IndexStride;
        NextIndex = spec.IndexStart + ((long)devices.Length * spec.IndexStride);
        Latency = latency;
    }

    /// <summary>The engine key: <see cref="Namespace"/> + <see cref="LocalGroupId"/>.</summary>
    public string GroupId { get; }

    /// <summary>The group's namespace (empty for none); see <see cref="DeviceNamespace"/>.</summary>
    public string Namespace { get; }

    /// <summary>The group id inside its namespace (what <c>${groupId}</c> renders).</summary>
    public string LocalGroupId { get; }

    public DeviceModel Model { get; }

    public string IdPattern { get; }

    /// <summary>Where the group's devices connect instead of the model's address, or null.</summary>
    public string? EndpointOverride { get; }

    /// <summary>The user name and password the group's devices connect with instead of their model's, or null.</summary>
    public ConnectionCredentials? CredentialsOverride { get; }

    /// <summary>Index of the group's first device (0 unless this engine hosts a slice of a larger group).</summary>
    public int IndexStart { get; }

    /// <summary>Distance between consecutive device indexes (1 unless this engine hosts a slice).</summary>
    public int IndexStride { get; }

    /// <summary>The index a device added to the group later gets (under the engine's gate).</summary>
    internal long NextIndex;

    /// <summary>Latency of the group's acknowledged publishes (feeds the engine's total).</summary>
    internal PublishLatencyHistogram Latency { get; }

    /// <summary>The group's devices in index order (a snapshot: copy-on-write).</summary>
    public IReadOnlyList<SimulatedDevice> Devices => Volatile.Read(ref _devices);

    internal SimulatedDevice[] DeviceArray => Volatile.Read(ref _devices);

    internal readonly int[] StateCounts = new int[DeviceLifecycle.StateCount];
    internal long MessagesSent;
    internal long MessagesFailed;
    internal long BytesSent;
    internal int DropoutCount;

    /// <summary>Adds a device at the end (copy on write, under the engine's gate).</summary>
    internal void Add(SimulatedDevice device)
    {
        var current = _devices;
        var next = new SimulatedDevice[current.Length + 1];
        Array.Copy(current, next, current.Length);
        next[^1] = device;
        Volatile.Write(ref _devices, next);
    }

    internal void Remove(SimulatedDevice device)
    {
        var current = _devices;
        int i = Array.IndexOf(current, device);
        if (i < 0)
        {
            return;
        }

        var next = new SimulatedDevice[current.Length - 1];
        Array.Copy(current, 0, next, 0, i);
        Array.Copy(current, i + 1, next, i, current.Length - i - 1);
        Volatile.Write(ref _devices, next);
    }
}

/// <summary>The ids of a fixed array of devices, read through (no copy of the ids).</summary>
internal sealed class DeviceIdList(SimulatedDevice[] devices) : IReadOnlyList<string>
{
    public int Count => devices.Length;

    public string this[int index] => devices[index].Id;

    public IEnumerator<string> GetEnumerator()
    {
        foreach (var d in devices)
        {
            yield return d.Id;
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
