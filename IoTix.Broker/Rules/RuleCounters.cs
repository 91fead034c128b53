namespace IoTix.Broker.Rules;

/// <summary>Live counters of one rule, shared by the workers and the action loops (lock-free increments).</summary>
internal sealed class RuleCounters(TimeProvider timeProvider)
{
    private long _matched;
    private long _passed;
    private long _succeeded;
    private long _failed;
    private long _dropped;
    private volatile string? _lastError;
    private long _lastErrorAt;

    public void Matched() => Interlocked.Increment(ref _matched);

    public void Passed() => Interlocked.Increment(ref _passed);

    public void Succeeded(int count = 1) => Interlocked.Add(ref _succeeded, count);

    public void Dropped() => Interlocked.Increment(ref _dropped);

    public void Failed(string error, int count = 1)
    {
        Interlocked.Add(ref _failed, count);
        _lastError = error;
        Volatile.Write(ref _lastErrorAt, timeProvider.GetUtcNow().ToUnixTimeMilliseconds());
    }

    public RuleCountersSnapshot Snapshot()
    {
        var at = Volatile.Read(ref _lastErrorAt);
        return new RuleCountersSnapshot(
            Volatile.Read(ref _matched),
            Volatile.Read(ref _passed),
            Volatile.Read(ref _succeeded),
            Volatile.Read(ref _failed),
            Volatile.Read(ref _dropped),
            _lastError,
            at == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(at));
    }
}
