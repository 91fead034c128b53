using IoTix.Broker.Persistence;
using IoTix.Broker.Security;
using IoTix.Broker.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet.Server;

namespace IoTix.Broker.History;

/// <summary>
/// Captures PUBLISH packets whose topic matches <c>Broker:History:Topics</c> (FR-030) off the MQTT path: the publish
/// hook copies the message and queues it (no I/O, never blocks); <see cref="BoundedBatchWriter{T}"/> writes batches to
/// <see cref="IHistoryStore"/>. Denied publishes (ACL) and messages the broker replays itself are not captured.
/// </summary>
internal sealed class HistoryRecorder : IAsyncDisposable
{
    private readonly string[] _filters;
    private readonly IHistoryStore? _store;
    private readonly TimeProvider _timeProvider;
    private readonly BoundedBatchWriter<HistoryMessage>? _writer;

    public HistoryRecorder(IOptions<HistoryOptions> options, TimeProvider timeProvider, ILogger<HistoryRecorder> logger, IHistoryStore? store = null)
    {
        var value = options.Value;
        _filters = [.. value.Topics];
        _store = store;
        _timeProvider = timeProvider;
        if (store is not null && _filters.Length > 0)
        {
            _writer = new BoundedBatchWriter<HistoryMessage>("message history", "Broker:History:QueueCapacity", value.QueueCapacity, value.BatchSize, store.AppendAsync, logger);
        }
    }

    /// <summary>True when topics are configured and a store exists.</summary>
    public bool IsEnabled => _writer is not null;

    public IReadOnlyList<string> Filters => _filters;

    public IHistoryStore? Store => _store;

    public BoundedBatchWriter<HistoryMessage>? Writer => _writer;

    /// <summary>Installs the capture hook (only when enabled: the hook costs MQTTnet an event object per PUBLISH).</summary>
    public void Attach(MqttServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (_writer is null)
        {
            return;
        }

        _writer.Start();
        server.InterceptingPublishAsync += CaptureAsync;
    }

    public bool Matches(string topic)
    {
        foreach (var filter in _filters)
        {
            if (MqttTopicMatch.Matches(filter, topic))
            {
                return true;
            }
        }

        return false;
    }

    public Task FlushAndStopAsync(CancellationToken cancellationToken) => _writer?.FlushAndStopAsync(cancellationToken) ?? Task.CompletedTask;

    public ValueTask DisposeAsync() => _writer?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <summary>Capture time truncated to microseconds, the precision every store keeps (cursor order stays exact).</summary>
    internal static DateTimeOffset Truncate(DateTimeOffset time) => new(time.UtcTicks - (time.UtcTicks % 10), TimeSpan.Zero);

    private Task CaptureAsync(InterceptingPublishEventArgs args)
    {
        // Registered after the ACL hook: a denied publish arrives here with ProcessPublish = false.
        if (args.ProcessPublish && !InternalPublisher.IsReplay(args.ClientId) && Matches(args.ApplicationMessage.Topic))
        {
            _writer!.Write(new HistoryMessage(0, Truncate(_timeProvider.GetUtcNow()), args.ClientId ?? "", CapturedMessage.From(args.ApplicationMessage)));
        }

        return Task.CompletedTask;
    }
}
