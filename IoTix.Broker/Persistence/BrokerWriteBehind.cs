using System.Threading.Channels;
using IoTix.Broker.Observability;
using IoTix.Broker.Retained;
using IoTix.Broker.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;

namespace IoTix.Broker.Persistence;

/// <summary>
/// Carries retained message and session changes to their stores off the MQTT path: a bounded queue
/// (<c>Broker:Persistence:QueueCapacity</c>) drained by one background writer in batches. Overflow behaviour
/// <b>drop new writes</b>: when the queue is full a change is not persisted (counted, warned once per episode) and
/// MQTT goes on. A store that reports itself unavailable makes the writer skip that batch (counted, warned once per
/// outage) (FR-043a). Retained changes to one topic within a batch collapse into the last one.
/// </summary>
internal sealed partial class BrokerWriteBehind : IAsyncDisposable
{
    private readonly Channel<PersistenceWrite> _queue;
    private readonly IRetainedMessageStore? _retainedStore;
    private readonly ISessionStore? _sessionStore;
    private readonly BrokerMetrics _metrics;
    private readonly ILogger<BrokerWriteBehind> _logger;
    private readonly int _batchSize;
    private readonly List<PersistenceWrite> _batch = [];
    private readonly List<MqttApplicationMessage> _retained = [];
    private readonly Dictionary<string, int> _retainedIndex = new(StringComparer.Ordinal);
    private readonly List<SessionChange> _changes = [];
    private Task? _writer;
    private int _queued;
    private int _overflowing;
    private bool _storeFailing;

    public BrokerWriteBehind(IOptions<BrokerOptions> options, BrokerMetrics metrics, ILogger<BrokerWriteBehind> logger, IRetainedMessageStore? retainedStore = null, ISessionStore? sessionStore = null)
    {
        _retainedStore = options.Value.Persistence.Enabled ? retainedStore : null;
        _sessionStore = options.Value.Persistence.Enabled ? sessionStore : null;
        _metrics = metrics;
        _logger = logger;
        _batchSize = options.Value.Persistence.BatchSize;
        _queue = Channel.CreateBounded<PersistenceWrite>(
            new BoundedChannelOptions(options.Value.Persistence.QueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            OnDropped);
        _metrics.PersistenceQueueLengthProvider = () => Volatile.Read(ref _queued);
    }

    public bool PersistsRetained => _retainedStore is not null;

    public bool PersistsSessions => _sessionStore is not null;

    public void Start() => _writer ??= Task.Run(RunAsync);

    public void SaveRetained(MqttApplicationMessage message) => Write(new PersistenceWrite(message, null, false));

    public void ClearRetained() => Write(new PersistenceWrite(null, null, true));

    public void Save(SessionChange change) => Write(new PersistenceWrite(null, change, false));

    /// <summary>Stops accepting writes and waits (bounded by <paramref name="cancellationToken"/>) for the queue to drain.</summary>
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
                LogDrainTimedOut(_logger, Volatile.Read(ref _queued));
            }
        }
    }

    /// <summary>Waits until everything queued so far is written (tests, shutdown).</summary>
    public async Task WaitForIdleAsync(CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref _queued) > 0)
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await FlushAndStopAsync(timeout.Token).ConfigureAwait(false);
    }

    private void Write(PersistenceWrite write)
    {
        Interlocked.Increment(ref _queued);
        if (!_queue.Writer.TryWrite(write))
        {
            // Completed (stopping): nothing is persisted any more.
            Interlocked.Decrement(ref _queued);
        }
    }

    private void OnDropped(PersistenceWrite write)
    {
        Interlocked.Decrement(ref _queued);
        _metrics.PersistenceDropped();
        if (Interlocked.Exchange(ref _overflowing, 1) == 0)
        {
            LogQueueFull(_logger, _queue.Reader.Count);
        }
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            _batch.Clear();
            while (_batch.Count < _batchSize && reader.TryRead(out var write))
            {
                _batch.Add(write);
            }

            try
            {
                await WriteBatchAsync().ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                // A store must answer false rather than throw; a bug here must not end persistence.
                _metrics.PersistenceSkipped(_batch.Count);
                LogWriteFailed(_logger, exception, _batch.Count);
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

    private async Task WriteBatchAsync()
    {
        // Consecutive writes of one kind go to their store together, in order.
        var index = 0;
        while (index < _batch.Count)
        {
            var write = _batch[index];
            if (write.ClearRetained)
            {
                Report(_retainedStore is null || await _retainedStore.ClearAsync().ConfigureAwait(false), 1);
                index++;
            }
            else if (write.Retained is not null)
            {
                _retained.Clear();
                _retainedIndex.Clear();
                while (index < _batch.Count && _batch[index].Retained is { } message)
                {
                    if (_retainedIndex.TryGetValue(message.Topic, out var position))
                    {
                        _retained[position] = message;
                    }
                    else
                    {
                        _retainedIndex[message.Topic] = _retained.Count;
                        _retained.Add(message);
                    }

                    index++;
                }

                Report(_retainedStore is null || await _retainedStore.SaveAsync(_retained).ConfigureAwait(false), _retained.Count);
            }
            else
            {
                _changes.Clear();
                while (index < _batch.Count && _batch[index].Change is { } change)
                {
                    _changes.Add(change);
                    index++;
                }

                Report(_sessionStore is null || await _sessionStore.ApplyAsync(_changes).ConfigureAwait(false), _changes.Count);
            }
        }
    }

    private void Report(bool written, int count)
    {
        if (written)
        {
            if (_storeFailing)
            {
                _storeFailing = false;
                LogStoreRecovered(_logger);
            }

            return;
        }

        _metrics.PersistenceSkipped(count);
        if (!_storeFailing)
        {
            _storeFailing = true;
            LogStoreUnavailable(_logger);
        }
    }

    private readonly record struct PersistenceWrite(MqttApplicationMessage? Retained, SessionChange? Change, bool ClearRetained);

    [LoggerMessage(EventId = 1501, Level = LogLevel.Warning, Message = "Broker persistence queue full ({Queued} writes, Broker:Persistence:QueueCapacity): new retained/session changes are not persisted until it drains; MQTT is not affected")]
    private static partial void LogQueueFull(ILogger logger, int queued);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Warning, Message = "Broker store unavailable: retained messages and sessions stay in memory only, writes are skipped until it is back; MQTT is not affected")]
    private static partial void LogStoreUnavailable(ILogger logger);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Information, Message = "Broker store available again: persisting retained messages and sessions")]
    private static partial void LogStoreRecovered(ILogger logger);

    [LoggerMessage(EventId = 1504, Level = LogLevel.Error, Message = "Writing {Count} broker changes failed")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 1505, Level = LogLevel.Warning, Message = "Broker stopped with {Queued} persistence writes not yet stored")]
    private static partial void LogDrainTimedOut(ILogger logger, int queued);
}
