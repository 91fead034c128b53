namespace IoTix.Web.Components.Pages.Broker;

/// <summary>
/// Runs <c>refresh</c> every <c>interval</c> on the injected clock until disposed; a tick that finds the previous
/// refresh still running is skipped, so a slow page never queues renders.
/// </summary>
internal sealed class PeriodicRefresh : IDisposable
{
    private readonly Func<Task> _refresh;
    private readonly ITimer _timer;
    private int _busy;
    private volatile bool _disposed;

    public PeriodicRefresh(TimeProvider timeProvider, TimeSpan interval, Func<Task> refresh)
    {
        _refresh = refresh;
        _timer = timeProvider.CreateTimer(static state => ((PeriodicRefresh)state!).Tick(), this, interval, interval);
    }

    public void Dispose()
    {
        _disposed = true;
        _timer.Dispose();
    }

    private void Tick()
    {
        if (_disposed || Interlocked.Exchange(ref _busy, 1) == 1)
        {
            return;
        }

        _ = RunAsync();
    }

    private async Task RunAsync()
    {
        try
        {
            await _refresh().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away.
            Dispose();
        }
        catch (Exception) when (_disposed)
        {
            // Errors after the page closed are of no interest.
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }
}
