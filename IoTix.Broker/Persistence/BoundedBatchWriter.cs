using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace IoTix.Broker.Persistence;

/// <summary>
/// A bounded queue drained by one background writer in batches, for records the broker captures on the MQTT path
/// (message history, dead letters). Overflow behaviour <b>drop new</b>: when the queue is full a record is not
/// stored (counted, warned once per episode). A store that answers "unavailable" makes the writer skip that batch
/// (counted, warned once per outage, logged again when it is back) (FR-043a); MQTT never waits for the store.
/// </summary>
internal sealed class BoundedBatchWriter<T> : IAsyncDisposable
{
    private readonly Channel<T> _queue;
    private readonly Func<IReadOnlyList<T>, CancellationToken, Task<bool>> _write;
    private readonly string _name;
    private readonly string _capacityKey;
    private readonly ILogger _logger;
    private readonly int _batchSize;
    private readonly List<T> _batch = [];
    private Task? _writer;
    private long _queued;
    private long _written;
    private long _dropped;
    private long _skipped;
    private int _overflowing;
    private bool _storeFailing;

    /// <param name="name">what is written, for log lines ("message history")</param>
    /// <param name="capacityKey">the configuration key of the bound, named in the overflow warning</param>
    public BoundedBatchWriter(string name, string capacityKey, int capacity, int batchSize, Func<IReadOnlyList<T>, CancellationToken, Task<bool>> write, ILogger logger)
    {
        _name = name;
        _capacityKey = capacityKey;
        _write = write;
        _logger = logger;
        _batchSize = batchSize;
        _queue = Channel.CreateBounded<T>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            OnDropped);
    }

    /// <summary>Records waiting to be written.</summary>
    public long Queued => Interlocked.Read(ref _queued);

    /// <summary>Records the store accepted.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Records not stored because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Records not stored because the store was unavailable.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>True while the last write found the store unavailable.</summary>
    public bool StoreUnavailable => Volatile.Read(ref _storeFailing);

    public void Start() => _writer ??= Task.Run(RunAsync);

    /// <summary>Queues a record; never blocks (a full queue drops it, counted).</summary>
    public void Write(T record)
    {
        Interlocked.Increment(ref _queued);
        if (!_queue.Writer.TryWrite(record))
        {
            // Completed (stopping): nothing is stored any more.
            Interlocked.Decrement(ref _queued);
        }
    }

    /// <summary>Waits until everything queued so far is written or skipped (tests, shutdown).</summary>
    public async Task WaitForIdleAsync(CancellationToken cancellationToken = default)
    {
        while (Interlocked.Read(ref _queued) > 0)
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops accepting records and waits (bounded by <paramref name="cancellationToken"/>) for the queue to drain.</summary>
    public async Task FlushAndStopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_writer is { } writer)
        {
            try
            {
                await writer.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                BoundedBatchWriterLog.LogDrainTimedOut(_logger, _name, Queued);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await FlushAndStopAsync(timeout.Token).ConfigureAwait(false);
    }

    private void OnDropped(T record)
    {
        Interlocked.Decrement(ref _queued);
        Interlocked.Increment(ref _dropped);
        if (Interlocked.Exchange(ref _overflowing, 1) == 0)
        {
            BoundedBatchWriterLog.LogQueueFull(_logger, _name, _queue.Reader.Count, _capacityKey);
        }
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            _batch.Clear();
            while (_batch.Count < _batchSize && reader.TryRead(out var record))
            {
                _batch.Add(record);
            }

            try
            {
                Report(await _write(_batch, CancellationToken.None).ConfigureAwait(false));
            }
            catch (Exception exception)
            {
                // A store must answer false rather than throw; a bug here must not end the writer.
                Interlocked.Add(ref _skipped, _batch.Count);
                BoundedBatchWriterLog.LogWriteFailed(_logger, exception, _name, _batch.Count);
            }
            finally
            {
                Interlocked.Add(ref _queued, -_batch.Count);
            }

            if (reader.Count == 0)
            {
                Volatile.Write(ref _overflowing, 0);
            }
        }
    }

    private void Report(bool written)
    {
        if (written)
        {
            Interlocked.Add(ref _written, _batch.Count);
            if (_storeFailing)
            {
                Volatile.Write(ref _storeFailing, false);
                BoundedBatchWriterLog.LogStoreRecovered(_logger, _name);
            }

            return;
        }

        Interlocked.Add(ref _skipped, _batch.Count);
        if (!_storeFailing)
        {
            Volatile.Write(ref _storeFailing, true);
            BoundedBatchWriterLog.LogStoreUnavailable(_logger, _name);
        }
    }
}

/// <summary>Log events of <see cref="BoundedBatchWriter{T}"/> (a generic type cannot hold the generated methods).</summary>
internal static partial class BoundedBatchWriterLog
{
    [LoggerMessage(EventId = 1511, Level = LogLevel.Warning, Message = "The {Name} queue is full ({Queued} records, {CapacityKey}): new records are not stored until it drains; MQTT is not affected")]
    public static partial void LogQueueFull(ILogger logger, string name, int queued, string capacityKey);

    [LoggerMessage(EventId = 1512, Level = LogLevel.Warning, Message = "Store of the {Name} unavailable: records are skipped until it is back; MQTT is not affected")]
    public static partial void LogStoreUnavailable(ILogger logger, string name);

    [LoggerMessage(EventId = 1513, Level = LogLevel.Information, Message = "Store of the {Name} available again")]
    public static partial void LogStoreRecovered(ILogger logger, string name);

    [LoggerMessage(EventId = 1514, Level = LogLevel.Error, Message = "Writing {Count} records of the {Name} failed")]
    public static partial void LogWriteFailed(ILogger logger, Exception exception, string name, int count);

    [LoggerMessage(EventId = 1515, Level = LogLevel.Warning, Message = "Broker stopped with {Queued} records of the {Name} not yet stored")]
    public static partial void LogDrainTimedOut(ILogger logger, string name, long queued);
}
