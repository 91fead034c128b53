namespace IoTix.Web.LiveMetrics;

/// <summary>
/// A disposable subscription that turns many notifications into at most one callback per interval: the first
/// notification after a quiet interval calls at once, later ones within the interval are coalesced into one call at
/// its end. Calls never overlap; a notification during a call schedules one more. Times come from the
/// <see cref="TimeProvider"/>, so tests run it on a fake clock.
/// </summary>
internal sealed partial class ThrottledSubscription : IDisposable
{
    private readonly Func<CancellationToken, Task> _callback;
    private readonly TimeSpan _minInterval;
    private readonly TimeProvider _time;
    private readonly Action<ThrottledSubscription>? _onDispose;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _lock = new();
    private long _lastCallTimestamp;
    private bool _hasCalled;
    private bool _scheduled;
    private bool _running;
    private bool _dirty;
    private ITimer? _timer;

    public ThrottledSubscription(Func<CancellationToken, Task> callback, TimeSpan minInterval, TimeProvider time, ILogger logger, Action<ThrottledSubscription>? onDispose = null)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ArgumentOutOfRangeException.ThrowIfLessThan(minInterval, TimeSpan.Zero);
        _callback = callback;
        _minInterval = minInterval;
        _time = time;
        _logger = logger;
        _onDispose = onDispose;
    }

    /// <summary>The non-default tenant whose view this subscriber reads (its view is built while it is subscribed), or null.</summary>
    public string? Tenant { get; init; }

    /// <summary>Callbacks made so far (for diagnostics and tests).</summary>
    public int Calls { get; private set; }

    /// <summary>Something changed: call back now, or at the end of the current interval.</summary>
    public void Notify()
    {
        TimeSpan delay;
        lock (_lock)
        {
            if (_disposed.IsCancellationRequested)
            {
                return;
            }

            if (_running)
            {
                _dirty = true;
                return;
            }

            if (_scheduled)
            {
                return;
            }

            _scheduled = true;
            var since = _hasCalled ? _time.GetElapsedTime(_lastCallTimestamp) : TimeSpan.MaxValue;
            delay = since >= _minInterval ? TimeSpan.Zero : _minInterval - since;
            if (delay > TimeSpan.Zero)
            {
                _timer?.Dispose();
                _timer = _time.CreateTimer(static s => ((ThrottledSubscription)s!).OnDue(), this, delay, Timeout.InfiniteTimeSpan);
                return;
            }
        }

        OnDue();
    }

    private void OnDue() => _ = RunAsync();

    private async Task RunAsync()
    {
        CancellationToken token;
        lock (_lock)
        {
            if (_disposed.IsCancellationRequested || _running)
            {
                return;
            }

            _scheduled = false;
            _running = true;
            _dirty = false;
            _hasCalled = true;
            _lastCallTimestamp = _time.GetTimestamp();
            Calls++;
            token = _disposed.Token;
        }

        try
        {
            await _callback(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            // Disposed during the call.
        }
        catch (ObjectDisposedException)
        {
            // The subscriber (a circuit, a hub) went away during the call.
        }
        catch (Exception ex)
        {
            LogCallbackFailed(_logger, ex);
        }

        bool again;
        lock (_lock)
        {
            _running = false;
            again = _dirty;
            _dirty = false;
        }

        if (again)
        {
            Notify();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed.IsCancellationRequested)
            {
                return;
            }

            _disposed.Cancel();
            _timer?.Dispose();
            _timer = null;
        }

        // The token source is not disposed: a call in flight may still read its token.
        _onDispose?.Invoke(this);
    }

    [LoggerMessage(EventId = 3601, Level = LogLevel.Warning, Message = "A live metrics subscriber failed; it stays subscribed")]
    private static partial void LogCallbackFailed(ILogger logger, Exception exception);
}
