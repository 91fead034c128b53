using IoTix.Broker.History;
using IoTix.Broker.Persistence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Packets;

namespace IoTix.Broker.DeadLetters;

/// <summary>
/// Takes undeliverable messages from the places that see them (session queue overflow, session expiry, ACL, payload
/// limit), copies them and queues them for <see cref="IDeadLetterStore"/> through a bounded batch writer: never
/// blocks MQTT, drops new dead letters when its queue is full, skips batches while the store is down (FR-043a).
/// </summary>
internal sealed class DeadLetterRecorder : IAsyncDisposable
{
    private readonly BoundedBatchWriter<DeadLetter>? _writer;
    private readonly IDeadLetterStore? _store;
    private readonly TimeProvider _timeProvider;
    private readonly int _maxPayloadBytes;
    private readonly long _maxMessages;

    public DeadLetterRecorder(IOptions<DeadLetterOptions> options, TimeProvider timeProvider, ILogger<DeadLetterRecorder> logger, IDeadLetterStore? store = null)
    {
        var value = options.Value;
        _timeProvider = timeProvider;
        _maxPayloadBytes = value.MaxPayloadBytes;
        _maxMessages = value.MaxMessages;
        if (value.Enabled && store is not null)
        {
            _store = store;
            _writer = new BoundedBatchWriter<DeadLetter>("dead-letter queue", "Broker:DeadLetters:QueueCapacity", value.QueueCapacity, value.BatchSize, WriteAsync, logger);
        }
    }

    public bool IsEnabled => _writer is not null;

    public IDeadLetterStore? Store => _store;

    public BoundedBatchWriter<DeadLetter>? Writer => _writer;

    public void Start() => _writer?.Start();

    public void Record(DeadLetterReason reason, string clientId, string? publisherClientId, MqttApplicationMessage message)
    {
        if (_writer is not null)
        {
            _writer.Write(new DeadLetter(0, HistoryRecorder.Truncate(_timeProvider.GetUtcNow()), reason, clientId, publisherClientId, message.Payload.Length, CapturedMessage.From(message, _maxPayloadBytes)));
        }
    }

    public void Record(DeadLetterReason reason, string clientId, string? publisherClientId, MqttPublishPacket packet)
    {
        if (_writer is not null)
        {
            _writer.Write(new DeadLetter(0, HistoryRecorder.Truncate(_timeProvider.GetUtcNow()), reason, clientId, publisherClientId, packet.Payload.Length, CapturedMessage.From(packet, _maxPayloadBytes)));
        }
    }

    public Task FlushAndStopAsync(CancellationToken cancellationToken) => _writer?.FlushAndStopAsync(cancellationToken) ?? Task.CompletedTask;

    public ValueTask DisposeAsync() => _writer?.DisposeAsync() ?? ValueTask.CompletedTask;

    private Task<bool> WriteAsync(IReadOnlyList<DeadLetter> batch, CancellationToken cancellationToken) =>
        _store!.AppendAsync(batch, _maxMessages, cancellationToken);
}
