using Microsoft.Extensions.Logging;

namespace IoTix.Core.Scheduling;

/// <summary>
/// The one scheduler of a process: a min-heap of due work driven by ONE <see cref="ITimer"/> from
/// the injected <see cref="TimeProvider"/>, re-armed to the earliest due time after every tick.
/// No per-device timer, thread or <c>Task.Delay</c>. A tick takes <see cref="Gate"/>, lets the
/// handler drain its cross-thread inboxes, then runs every entry due at or before now in
/// (due time, insertion) order. Handlers treat an entry's due time as the logical "now" and
/// schedule follow-up work from it, so a late tick (or a <c>FakeTimeProvider.Advance</c> over many
/// due times, which runs the tick synchronously once at the target time) replays every due entry
/// in time order: deterministic, and a slow process catches up instead of losing values.
/// </summary>
/// <remarks>
/// Threading: the heap is guarded by <see cref="Gate"/>. Callers that schedule from other
/// threads take the gate, push with <see cref="Schedule"/>, then call <see cref="Arm"/> (still
/// under the gate). Threads that must not block (network callbacks) enqueue into the handler's
/// own inbox and call <see cref="RequestTick"/>.
/// </remarks>
internal sealed partial class SimulationScheduler : IDisposable
{
    private static readonly TimeSpan Infinite = Timeout.InfiniteTimeSpan;

    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ScheduleHeap _heap = new(4096);
    private readonly DateTimeOffset _originUtc;
    private readonly int _resolutionMs;
    private readonly long _overrunMs;
    private IScheduledWorkHandler? _handler;
    private ITimer? _timer;
    private long _armedDueMs = long.MaxValue;
    private readonly long _originTimestamp;
    private long _lastOverrunLogMs = long.MinValue;
    private int _running;
    private int _wakeRequested;
    private bool _disposed;

    public SimulationScheduler(TimeProvider time, int resolutionMs, int overrunWarningMs, ILogger logger)
    {
        _time = time;
        _logger = logger;
        _resolutionMs = Math.Max(1, resolutionMs);
        _overrunMs = Math.Max(1, overrunWarningMs);
        _originUtc = time.GetUtcNow();
        _originTimestamp = time.GetTimestamp();
    }

    /// <summary>The lock that guards the heap and the handler's state; ticks run under it.</summary>
    public object Gate { get; } = new();

    /// <summary>UTC time of scheduler time 0.</summary>
    public DateTimeOffset OriginUtc => _originUtc;

    /// <summary>Entries waiting in the heap (stale entries of stopped devices included until they fall due).</summary>
    public int PendingCount => _heap.Count;

    /// <summary>Entries run since start.</summary>
    public long FiredCount { get; private set; }

    /// <summary>Ticks run since start.</summary>
    public long TickCount { get; private set; }

    /// <summary>Ticks that ran longer than the overrun threshold or started later than it behind their due time.</summary>
    public long OverrunCount { get; private set; }

    /// <summary>Timers created: always 1 once started, whatever the number of devices.</summary>
    public int TimerCount => _timer is null ? 0 : 1;

    /// <summary>Milliseconds since <see cref="OriginUtc"/> on the injected clock's monotonic timestamp (wall-clock jumps do not move it).</summary>
    public long NowMs => (long)_time.GetElapsedTime(_originTimestamp).TotalMilliseconds;

    public DateTimeOffset ToUtc(long ms) => _originUtc.AddMilliseconds(ms);

    /// <summary>Creates the one timer and starts dispatching to <paramref name="handler"/>.</summary>
    public void Start(IScheduledWorkHandler handler)
    {
        lock (Gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_handler is not null)
            {
                return;
            }

            _handler = handler;
            _timer = _time.CreateTimer(static s => ((SimulationScheduler)s!).OnTimer(), this, Infinite, Infinite);
            Arm();
        }
    }

    /// <summary>Adds an entry; caller holds <see cref="Gate"/>. Call <see cref="Arm"/> when done scheduling.</summary>
    public void Schedule(long dueMs, int slot, int epoch, WorkKind kind, int arg = 0) =>
        _heap.Push(dueMs, slot, epoch, kind, arg);

    /// <summary>Re-arms the timer if the earliest entry is now earlier than the armed time; caller holds <see cref="Gate"/>.</summary>
    public void Arm()
    {
        if (_timer is null || _disposed)
        {
            return;
        }

        long due = _heap.PeekDueMs;
        if (due == long.MaxValue)
        {
            return;
        }

        // Coalesce to the resolution: everything due within one resolution step runs in one tick.
        due = ((due + _resolutionMs - 1) / _resolutionMs) * _resolutionMs;
        if (due >= _armedDueMs)
        {
            return;
        }

        _armedDueMs = due;
        long delay = Math.Max(0, due - NowMs);
        if (delay == 0 && Volatile.Read(ref _running) == 1)
        {
            // Inside a tick: the running tick picks it up before it ends.
            Volatile.Write(ref _wakeRequested, 1);
            return;
        }

        _timer.Change(TimeSpan.FromMilliseconds(delay), Infinite);
    }

    /// <summary>Asks for a tick as soon as possible, from any thread, without taking the gate.</summary>
    public void RequestTick()
    {
        if (_timer is null || _disposed)
        {
            return;
        }

        Volatile.Write(ref _wakeRequested, 1);
        if (Volatile.Read(ref _running) == 0)
        {
            _timer.Change(TimeSpan.Zero, Infinite);
        }
    }

    private void OnTimer()
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            Volatile.Write(ref _wakeRequested, 1);
            return;
        }

        try
        {
            lock (Gate)
            {
                if (_disposed || _handler is null)
                {
                    return;
                }

                do
                {
                    Volatile.Write(ref _wakeRequested, 0);
                    RunTick(_handler);
                }
                while (Volatile.Read(ref _wakeRequested) == 1);
            }
        }
        catch (Exception ex)
        {
            // A bug in a handler must not stop the loop: log and carry on with the next tick.
            LogTickFailed(_logger, ex);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
            Rearm();
        }
    }

    private void Rearm()
    {
        lock (Gate)
        {
            if (_timer is null || _disposed)
            {
                return;
            }

            _armedDueMs = long.MaxValue;
            if (_heap.Count == 0)
            {
                _timer.Change(Infinite, Infinite);
            }
            else
            {
                Arm();
            }
        }

        // A cross-thread request that raced with the end of the tick gets its own tick.
        if (Volatile.Read(ref _wakeRequested) == 1)
        {
            _timer.Change(TimeSpan.Zero, Infinite);
        }
    }

    private void RunTick(IScheduledWorkHandler handler)
    {
        long started = _time.GetTimestamp();
        long now = NowMs;
        TickCount++;
        handler.OnTickStart(now);

        long firstDue = _heap.PeekDueMs;
        int fired = 0;
        while (_heap.PeekDueMs <= now && _heap.TryPop(out var work))
        {
            try
            {
                handler.OnDue(in work);
            }
            catch (Exception ex)
            {
                LogWorkFailed(_logger, work.Kind, work.Slot, ex);
            }

            fired++;
        }

        FiredCount += fired;
        long durationMs = (long)_time.GetElapsedTime(started).TotalMilliseconds;
        long lateMs = fired == 0 ? 0 : now - firstDue;
        if (durationMs >= _overrunMs || lateMs >= _overrunMs)
        {
            OverrunCount++;
            if (now - _lastOverrunLogMs >= 1000 || _lastOverrunLogMs == long.MinValue)
            {
                _lastOverrunLogMs = now;
                LogTickOverrun(_logger, durationMs, lateMs, fired, _heap.Count, _overrunMs);
            }
        }
    }

    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _timer?.Dispose();
            _heap.Clear();
        }
    }
}
