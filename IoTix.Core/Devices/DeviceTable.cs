using System.Diagnostics.CodeAnalysis;

namespace IoTix.Core.Devices;

/// <summary>
/// The engine's devices, by slot (the number scheduler entries carry) and by id. Changes happen
/// under the scheduler's gate; <see cref="TryGet"/> and <see cref="Count"/> run from any thread
/// without a lock.
/// </summary>
/// <remarks>
/// The id index is an open-addressing table of slot numbers (linear probing, 4 bytes a bucket,
/// load at most 3/4) instead of a dictionary node per device: about 8 bytes per device at a
/// million devices, against about 60 for a <c>ConcurrentDictionary</c>. Bucket and slot writes
/// are volatile, a removed entry becomes a tombstone, and growing builds a new bucket array that
/// replaces the old one whole, so a lock-free reader always probes a consistent array that has
/// empty buckets. A reader racing a change sees the table before or after it, as with any
/// concurrent map.
/// </remarks>
internal sealed class DeviceTable
{
    private const int Empty = 0;
    private const int Removed = -1;
    private const int MinBuckets = 1024;

    private readonly Stack<int> _freeSlots = new();
    private SimulatedDevice?[] _slots = new SimulatedDevice?[MinBuckets / 2];
    private int[] _buckets = new int[MinBuckets]; // slot + 1; Empty; Removed
    private int _slotCount;
    private int _count;
    private int _usedBuckets; // live entries and tombstones

    public int Count => Volatile.Read(ref _count);

    /// <summary>The device in <paramref name="slot"/>, or null (loop thread, under the gate).</summary>
    public SimulatedDevice? At(int slot) => _slots[slot];

    public bool Contains(string id) => TryGet(id, out _);

    public bool TryGet(string id, [NotNullWhen(true)] out SimulatedDevice? device)
    {
        var buckets = Volatile.Read(ref _buckets);
        int mask = buckets.Length - 1;
        for (int i = Hash(id) & mask; ; i = (i + 1) & mask)
        {
            int entry = Volatile.Read(ref buckets[i]);
            if (entry == Empty)
            {
                device = null;
                return false;
            }

            if (entry > 0)
            {
                var slots = Volatile.Read(ref _slots);
                int slot = entry - 1;
                if ((uint)slot < (uint)slots.Length && Volatile.Read(ref slots[slot]) is { } candidate && string.Equals(candidate.Id, id, StringComparison.Ordinal))
                {
                    device = candidate;
                    return true;
                }
            }
        }
    }

    /// <summary>Adds a device whose id is not in the table yet and gives it a slot (under the gate).</summary>
    public void Add(SimulatedDevice device)
    {
        int slot;
        if (_freeSlots.Count > 0)
        {
            slot = _freeSlots.Pop();
        }
        else
        {
            if (_slotCount == _slots.Length)
            {
                var larger = new SimulatedDevice?[_slots.Length * 2];
                Array.Copy(_slots, larger, _slotCount);
                Volatile.Write(ref _slots, larger);
            }

            slot = _slotCount++;
        }

        if ((_usedBuckets + 1) * 4 > _buckets.Length * 3)
        {
            Rebuild(_count + 1); // before the device is in its slot: Rebuild indexes the slots
        }

        device.Slot = slot;
        Volatile.Write(ref _slots[slot], device);
        if (Insert(_buckets, device.Id, slot))
        {
            _usedBuckets++;
        }

        Volatile.Write(ref _count, _count + 1);
    }

    /// <summary>Removes a device added before and frees its slot (under the gate).</summary>
    public void Remove(SimulatedDevice device)
    {
        var buckets = _buckets;
        int mask = buckets.Length - 1;
        int wanted = device.Slot + 1;
        for (int i = Hash(device.Id) & mask; buckets[i] != Empty; i = (i + 1) & mask)
        {
            if (buckets[i] == wanted)
            {
                Volatile.Write(ref buckets[i], Removed);
                break;
            }
        }

        Volatile.Write(ref _slots[device.Slot], null);
        _freeSlots.Push(device.Slot);
        Volatile.Write(ref _count, _count - 1);
    }

    /// <summary>The devices in slot order (a snapshot; call under the gate for a consistent one).</summary>
    public List<SimulatedDevice> ToList()
    {
        var slots = Volatile.Read(ref _slots);
        var result = new List<SimulatedDevice>(Count);
        foreach (var d in slots)
        {
            if (d is not null)
            {
                result.Add(d);
            }
        }

        return result;
    }

    private static int Hash(string id) => id.GetHashCode(StringComparison.Ordinal) & int.MaxValue;

    /// <summary>Puts <paramref name="slot"/> in the first free bucket of <paramref name="id"/>'s probe sequence; true when it used an empty bucket (not a tombstone).</summary>
    private static bool Insert(int[] buckets, string id, int slot)
    {
        int mask = buckets.Length - 1;
        int i = Hash(id) & mask;
        while (buckets[i] > 0)
        {
            i = (i + 1) & mask;
        }

        bool wasEmpty = buckets[i] == Empty;
        Volatile.Write(ref buckets[i], slot + 1);
        return wasEmpty;
    }

    /// <summary>A new bucket array at most half full for <paramref name="count"/> devices, without tombstones, published whole.</summary>
    private void Rebuild(int count)
    {
        int size = (int)Math.Max(MinBuckets, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)count * 2));
        var buckets = new int[size];
        int used = 0;
        for (int s = 0; s < _slotCount; s++)
        {
            if (_slots[s] is { } d)
            {
                Insert(buckets, d.Id, s);
                used++;
            }
        }

        _usedBuckets = used;
        Volatile.Write(ref _buckets, buckets);
    }
}
