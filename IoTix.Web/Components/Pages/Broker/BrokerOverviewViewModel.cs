using IoTix.Broker.Admin;
using IoTix.Broker.Observability;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>
/// The broker overview: listeners and live counters. <see cref="Start"/> samples <see cref="IBrokerMetrics"/> once a
/// second (one timer on the injected <see cref="TimeProvider"/>) into a window of <see cref="WindowSeconds"/> samples
/// and calls back once per sample; disposing the returned subscription stops sampling.
/// </summary>
public sealed class BrokerOverviewViewModel(IBrokerMetrics metrics, IBrokerAdmin admin, TimeProvider timeProvider)
{
    public const int WindowSeconds = 60;

    public static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(1);

    private readonly object _lock = new();
    private readonly double[] _inRate = new double[WindowSeconds];
    private readonly double[] _outRate = new double[WindowSeconds];
    private readonly double[] _connections = new double[WindowSeconds];
    private BrokerMetricsSnapshot? _last;
    private long _lastTimestamp;
    private int _samples;

    public bool IsRunning => admin.IsRunning;

    public IReadOnlyList<BrokerListenerInfo> Listeners => admin.GetListeners();

    /// <summary>The latest snapshot; null before the first sample.</summary>
    public BrokerMetricsSnapshot? Current
    {
        get
        {
            lock (_lock)
            {
                return _last;
            }
        }
    }

    /// <summary>Messages received per second in the last sample interval.</summary>
    public double MessagesInPerSecond => Latest(_inRate);

    /// <summary>Messages sent per second in the last sample interval.</summary>
    public double MessagesOutPerSecond => Latest(_outRate);

    /// <summary>Number of rate samples taken (the first snapshot gives none).</summary>
    public int SampleCount
    {
        get
        {
            lock (_lock)
            {
                return _samples;
            }
        }
    }

    /// <summary>Oldest first, <see cref="WindowSeconds"/> values (zeros before sampling started).</summary>
    public double[] MessagesInSeries() => Window(_inRate);

    public double[] MessagesOutSeries() => Window(_outRate);

    public double[] ConnectionSeries() => Window(_connections);

    /// <summary>Takes one sample now (also called by the timer).</summary>
    public void Sample()
    {
        var snapshot = metrics.GetSnapshot();
        var now = timeProvider.GetTimestamp();
        lock (_lock)
        {
            if (_last is { } previous)
            {
                var seconds = timeProvider.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
                if (seconds > 0)
                {
                    Shift(_inRate, Math.Max(0, snapshot.MessagesReceived - previous.MessagesReceived) / seconds);
                    Shift(_outRate, Math.Max(0, snapshot.MessagesSent - previous.MessagesSent) / seconds);
                    Shift(_connections, snapshot.ConnectionsCurrent);
                    _samples++;
                }
            }
            else
            {
                Shift(_connections, snapshot.ConnectionsCurrent);
            }

            _last = snapshot;
            _lastTimestamp = now;
        }
    }

    /// <summary>Samples now and then every second; <paramref name="changed"/> runs after each sample (at most once a second).</summary>
    public IDisposable Start(Func<Task> changed)
    {
        ArgumentNullException.ThrowIfNull(changed);
        Sample();
        return new Sampling(this, changed, timeProvider);
    }

    private double Latest(double[] series)
    {
        lock (_lock)
        {
            return series[^1];
        }
    }

    private double[] Window(double[] series)
    {
        lock (_lock)
        {
            return (double[])series.Clone();
        }
    }

    private static void Shift(double[] series, double value)
    {
        Array.Copy(series, 1, series, 0, series.Length - 1);
        series[^1] = value;
    }

    private sealed class Sampling : IDisposable
    {
        private readonly BrokerOverviewViewModel _owner;
        private readonly Func<Task> _changed;
        private readonly ITimer _timer;
        private int _busy;

        public Sampling(BrokerOverviewViewModel owner, Func<Task> changed, TimeProvider timeProvider)
        {
            _owner = owner;
            _changed = changed;
            _timer = timeProvider.CreateTimer(static state => ((Sampling)state!).Tick(), this, SampleInterval, SampleInterval);
        }

        public void Dispose() => _timer.Dispose();

        private void Tick()
        {
            // A slow render skips a tick instead of piling up.
            if (Interlocked.Exchange(ref _busy, 1) == 1)
            {
                return;
            }

            _owner.Sample();
            _ = NotifyAsync();
        }

        private async Task NotifyAsync()
        {
            try
            {
                await _changed().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // The circuit went away between the tick and the render.
                _timer.Dispose();
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
        }
    }
}
