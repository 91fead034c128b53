namespace IoTix.Web.LiveMetrics;

/// <summary>A fixed-capacity ring of points; when full, adding overwrites the oldest. Thread-safe.</summary>
internal sealed class MetricsRing<T>
    where T : class
{
    private readonly T[] _items;
    private readonly Lock _lock = new();
    private int _next;
    private int _count;

    public MetricsRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _items = new T[capacity];
    }

    public int Capacity => _items.Length;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    public T? Latest
    {
        get
        {
            lock (_lock)
            {
                return _count == 0 ? null : _items[(_next - 1 + _items.Length) % _items.Length];
            }
        }
    }

    public void Add(T item)
    {
        lock (_lock)
        {
            _items[_next] = item;
            _next = (_next + 1) % _items.Length;
            if (_count < _items.Length)
            {
                _count++;
            }
        }
    }

    /// <summary>The newest <paramref name="max"/> items, oldest first.</summary>
    public T[] Newest(int max)
    {
        lock (_lock)
        {
            int n = Math.Clamp(max, 0, _count);
            var result = new T[n];
            int start = (_next - n + _items.Length) % _items.Length;
            for (int i = 0; i < n; i++)
            {
                result[i] = _items[(start + i) % _items.Length];
            }

            return result;
        }
    }
}
