using IoTix.Core.Devices;
using IoTix.Core.Protocols;

namespace IoTix.Web.Cli.Run;

/// <summary>
/// Counts what happens to the run's devices from the engine's <see cref="SimulationEngine.DeviceStateChanged"/>
/// events (raised on the scheduler loop: the handler only increments counters, and takes a lock
/// only for the rare error transitions), and keeps the per-second series.
/// </summary>
internal sealed class RunRecorder
{
    /// <summary>Distinct error reasons kept; the rest count under <see cref="OtherReason"/>.</summary>
    public const int MaxReasons = 100;

    public const string OtherReason = "other (more than 100 distinct reasons)";

    public const string PublishFailedReason = "publish not accepted (not connected, outbound queue full or rejected)";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _reasons = new(StringComparer.Ordinal);
    private readonly List<ReportSecond> _series = [];
    private int _launched;
    private int _connected;
    private int _failedToConnect;
    private int _drops;
    private int _reconnects;
    private long _lastSent;
    private long _lastFailed;
    private long _lastBytes;

    public int Launched => Volatile.Read(ref _launched);

    public int Connected => Volatile.Read(ref _connected);

    public int FailedToConnect => Volatile.Read(ref _failedToConnect);

    public int Drops => Volatile.Read(ref _drops);

    public int Reconnects => Volatile.Read(ref _reconnects);

    /// <summary>Messages sent in the last completed second (for the progress line).</summary>
    public long LastSecondMessages { get; private set; }

    public IReadOnlyList<ReportSecond> Series => _series;

    public void OnStateChanged(object? sender, DeviceStateChangedEventArgs e)
    {
        switch (e.To)
        {
            case DeviceState.Starting:
                Interlocked.Increment(ref _launched);
                break;
            case DeviceState.Running when e.From == DeviceState.Starting:
                Interlocked.Increment(ref _connected);
                break;
            case DeviceState.Running when e.From == DeviceState.Reconnecting:
                Interlocked.Increment(ref _reconnects);
                break;
            case DeviceState.Failed:
                if (e.From == DeviceState.Starting)
                {
                    Interlocked.Increment(ref _failedToConnect);
                }

                AddReason(e.Reason ?? "failed");
                break;
            case DeviceState.Dropped:
                Interlocked.Increment(ref _drops);
                if (e.Reason is { } reason && reason.StartsWith("connection lost", StringComparison.Ordinal))
                {
                    AddReason(reason);
                }

                break;
        }
    }

    /// <summary>Adds devices whose connect had not completed when the run ended (they count as failed to connect).</summary>
    public void AddUnfinishedConnects(int count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _failedToConnect, count);
            AddReason("connect not completed when the run ended", count);
        }
    }

    /// <summary>Closes the second ending at <paramref name="second"/> (seconds from the start) with the engine's counters.</summary>
    public void Sample(int second, SimulationStats stats)
    {
        var entry = new ReportSecond(
            second,
            stats.MessagesSent - _lastSent,
            stats.MessagesFailed - _lastFailed,
            stats.BytesSent - _lastBytes,
            stats.RunningDeviceCount);
        _lastSent = stats.MessagesSent;
        _lastFailed = stats.MessagesFailed;
        _lastBytes = stats.BytesSent;
        LastSecondMessages = entry.Messages;
        _series.Add(entry);
    }

    public const string UnsentReason = "publish accepted but never written (the connection closed or was lost first)";

    public const string UnacknowledgedReason = "publish written but never acknowledged (PUBACK/PUBCOMP missing at the close or loss)";

    public const string RefusedReason = "publish refused by the server (failure reason code)";

    public IReadOnlyList<ReportError> Errors(long messagesFailed, PublishFailureCounts adapterFailures = default)
    {
        var list = new List<ReportError>();
        lock (_gate)
        {
            foreach (var (reason, count) in _reasons)
            {
                list.Add(new ReportError(reason, count));
            }
        }

        if (messagesFailed > 0)
        {
            list.Add(new ReportError(PublishFailedReason, messagesFailed));
        }

        // Losses after the adapter accepted a message (the engine counted it as sent).
        AddIfAny(list, UnsentReason, adapterFailures.Unsent);
        AddIfAny(list, UnacknowledgedReason, adapterFailures.Unacknowledged);
        AddIfAny(list, RefusedReason, adapterFailures.RefusedByPeer);

        return Sort(list);
    }

    private static void AddIfAny(List<ReportError> list, string reason, long count)
    {
        if (count > 0)
        {
            list.Add(new ReportError(reason, count));
        }
    }

    internal static List<ReportError> Sort(List<ReportError> list)
    {
        list.Sort(static (a, b) => b.Count != a.Count ? b.Count.CompareTo(a.Count) : string.CompareOrdinal(a.Reason, b.Reason));
        return list;
    }

    private void AddReason(string reason, long count = 1)
    {
        lock (_gate)
        {
            if (!_reasons.ContainsKey(reason) && _reasons.Count >= MaxReasons)
            {
                reason = OtherReason;
            }

            _reasons[reason] = _reasons.GetValueOrDefault(reason) + count;
        }
    }
}
