namespace IoTix.Core.Scheduling;

/// <summary>
/// A 4-ary min-heap of <see cref="ScheduledWork"/> ordered by (due time, sequence), stored in one
/// growable struct array: O(log n) push and pop, no allocation once grown, cache-friendly (a node's
/// four children sit next to each other). Not thread-safe.
/// </summary>
internal sealed class ScheduleHeap
{
    private ScheduledWork[] _items;
    private int _count;
    private long _sequence;

    public ScheduleHeap(int initialCapacity = 1024)
    {
        _items = new ScheduledWork[Math.Max(4, initialCapacity)];
    }

    public int Count => _count;

    public int Capacity => _items.Length;

    /// <summary>Due time of the earliest entry, or <see cref="long.MaxValue"/> when empty.</summary>
    public long PeekDueMs => _count == 0 ? long.MaxValue : _items[0].DueMs;

    public void Push(long dueMs, int slot, int epoch, WorkKind kind, int arg)
    {
        if (_count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        var item = new ScheduledWork
        {
            DueMs = dueMs,
            Sequence = _sequence++,
            Slot = slot,
            Epoch = epoch,
            Kind = kind,
            Arg = arg,
        };
        SiftUp(_count++, item);
    }

    /// <summary>Removes the earliest entry into <paramref name="work"/>; false when empty.</summary>
    public bool TryPop(out ScheduledWork work)
    {
        if (_count == 0)
        {
            work = default;
            return false;
        }

        work = _items[0];
        int last = --_count;
        if (last > 0)
        {
            SiftDown(0, _items[last]);
        }

        _items[last] = default;
        return true;
    }

    /// <summary>Removes every entry (used when the engine shuts down).</summary>
    public void Clear()
    {
        Array.Clear(_items, 0, _count);
        _count = 0;
    }

    private void SiftUp(int index, ScheduledWork item)
    {
        var items = _items;
        while (index > 0)
        {
            int parent = (index - 1) >> 2;
            if (!item.RunsBefore(items[parent]))
            {
                break;
            }

            items[index] = items[parent];
            index = parent;
        }

        items[index] = item;
    }

    private void SiftDown(int index, ScheduledWork item)
    {
        var items = _items;
        int count = _count;
        while (true)
        {
            int first = (index << 2) + 1;
            if (first >= count)
            {
                break;
            }

            int best = first;
            int end = Math.Min(first + 4, count);
            for (int c = first + 1; c < end; c++)
            {
                if (items[c].RunsBefore(items[best]))
                {
                    best = c;
                }
            }

            if (!items[best].RunsBefore(item))
            {
                break;
            }

            items[index] = items[best];
            index = best;
        }

        items[index] = item;
    }
}
