namespace IoTix.Core.Protocols.Mqtt;

/// <summary>
/// The one timer of the MQTT adapter (no timer, thread or <c>Task.Delay</c> per connection): every
/// <see cref="TickMs"/> it completes due reconnect delays, and every <see cref="SweepMs"/> it sweeps
/// all connections for keep-alive (PINGREQ) and connect deadlines. Started on first use.
/// </summary>
internal sealed class MqttAdapterClock : IDisposable
{
    public const int TickMs = 50;

    public const int SweepMs = 500;

    private readonly TimeProvider _time;
    private readonly Action<long> _sweep;
    private readonly Lock _gate = new();
    private readonly PriorityQueue<TaskCompletionSource<bool>, long> _delays = new();
    private readonly List<TaskCompletionSource<bool>> _due = [];
    private ITimer? _timer;
    private long _nextSweepMs;
    private bool _disposed;
    private int _ticking;

    public MqttAdapterClock(TimeProvider time, Action<long> sweep)
    {
        _time = time;
        _sweep = sweep;
    }

    /// <summary>Monotonic milliseconds.</summary>
    public long NowMs => (long)(_time.GetTimestamp() * (1000.0 / _time.TimestampFrequency));

    public TimeProvider Time => _time;

    /// <summary>Starts the timer if it is not running.</summary>
    public void EnsureStarted()
    {
        if (Volatile.Read(ref _timer) is not null)
        {
            return;
        }

        lock (_gate)
        {
            if (_timer is null && !_disposed)
            {
                _nextSweepMs = NowMs + SweepMs;
                _timer = _time.CreateTimer(static s => ((MqttAdapterClock)s!).Tick(), this, TimeSpan.FromMilliseconds(TickMs), TimeSpan.FromMilliseconds(TickMs));
            }
        }
    }

    /// <summary>A source completed with true after <paramref name="delayMs"/> (the caller completes it with false to cancel).</summary>
    public TaskCompletionSource<bool> Delay(long delayMs)
    {
        var source = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (delayMs <= 0)
        {
            source.TrySetResult(true);
            return source;
        }

        EnsureStarted();
        lock (_gate)
        {
            _delays.Enqueue(source, NowMs + delayMs);
        }

        return source;
    }

    private void Tick()
    {
        if (Interlocked.Exchange(ref _ticking, 1) == 1)
        {
            return; // the previous tick still runs
        }

        try
        {
            TickCore();
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    private void TickCore()
    {
        long now = NowMs;
        lock (_gate)
        {
            while (_delays.TryPeek(out var source, out long due) && due <= now)
            {
                _delays.Dequeue();
                _due.Add(source);
            }
        }

        foreach (var source in _due)
        {
            source.TrySetResult(true);
        }

        _due.Clear();
        if (now >= _nextSweepMs)
        {
            _nextSweepMs = now + SweepMs;
            _sweep(now);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
            while (_delays.TryDequeue(out var source, out _))
            {
                source.TrySetResult(false);
            }
        }
    }
}
