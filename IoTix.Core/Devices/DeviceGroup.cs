using IoTix.Core.Models;

namespace IoTix.Core.Devices;

/// <summary>A group of devices created together from one model; started, stopped and dropped as a unit.</summary>
public sealed class DeviceGroup
{
    private SimulatedDevice[] _devices;

    internal DeviceGroup(string groupId, DeviceModel model, string idPattern, SimulatedDevice[] devices)
    {
        GroupId = groupId;
        Model = model;
        IdPattern = idPattern;
        _devices = devices;
    }

    public string GroupId { get; }

    public DeviceModel Model { get; }

    public string IdPattern { get; }

    /// <summary>The group's devices in index order (a snapshot: copy-on-write).</summary>
    public IReadOnlyList<SimulatedDevice> Devices => Volatile.Read(ref _devices);

    internal SimulatedDevice[] DeviceArray => Volatile.Read(ref _devices);

    internal readonly int[] StateCounts = new int[DeviceLifecycle.StateCount];
    internal long MessagesSent;
    internal long MessagesFailed;
    internal long BytesSent;
    internal int DropoutCount;

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
