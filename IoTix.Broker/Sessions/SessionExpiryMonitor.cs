using Microsoft.Extensions.Logging;

namespace IoTix.Broker.Sessions;

/// <summary>
/// Deletes disconnected persistent sessions once their Session Expiry Interval has passed [MQTT-3.1.2-23]
/// (MQTTnet 5 keeps them forever). One timer for all sessions, on the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed partial class SessionExpiryMonitor : IDisposable
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, DateTimeOffset> _expiries = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<SessionExpiryMonitor> _logger;
    private ITimer? _timer;
    private Func<string, Task>? _deleteSession;
    private int _sweeping;

    public SessionExpiryMonitor(TimeProvider timeProvider, ILogger<SessionExpiryMonitor> logger)
    {
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public int TrackedCount
    {
        get
        {
            lock (_expiries)
            {
                return _expiries.Count;
            }
        }
    }

    public void Start(Func<string, Task> deleteSession)
    {
        _deleteSession = deleteSession;
        _timer = _timeProvider.CreateTimer(static state => ((SessionExpiryMonitor)state!).Sweep(), this, SweepInterval, SweepInterval);
    }

    public void Disconnected(string clientId, uint expirySeconds)
    {
        lock (_expiries)
        {
            _expiries[clientId] = _timeProvider.GetUtcNow().AddSeconds(expirySeconds);
        }
    }

    public void Reconnected(string clientId)
    {
        lock (_expiries)
        {
            _expiries.Remove(clientId);
        }
    }

    public void Dispose() => _timer?.Dispose();

    internal void Sweep()
    {
        if (Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return;
        }

        List<string>? expired = null;
        var now = _timeProvider.GetUtcNow();
        lock (_expiries)
        {
            foreach (var (clientId, expiry) in _expiries)
            {
                if (expiry <= now)
                {
                    (expired ??= []).Add(clientId);
                }
            }

            if (expired is not null)
            {
                foreach (var clientId in expired)
                {
                    _expiries.Remove(clientId);
                }
            }
        }

        if (expired is null)
        {
            Volatile.Write(ref _sweeping, 0);
            return;
        }

        _ = DeleteAsync(expired);
    }

    private async Task DeleteAsync(List<string> expired)
    {
        try
        {
            foreach (var clientId in expired)
            {
                try
                {
                    await _deleteSession!(clientId).ConfigureAwait(false);
                    LogSessionExpired(_logger, clientId);
                }
                catch (Exception exception)
                {
                    LogSessionDeleteFailed(_logger, exception, clientId);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Information, Message = "Session {ClientId} expired and was deleted")]
    private static partial void LogSessionExpired(ILogger logger, string clientId);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Error, Message = "Deleting expired session {ClientId} failed")]
    private static partial void LogSessionDeleteFailed(ILogger logger, Exception exception, string clientId);
}
