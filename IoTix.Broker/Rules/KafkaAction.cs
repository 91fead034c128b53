using System.Text;
using Confluent.Kafka;

namespace IoTix.Broker.Rules;

/// <summary>
/// <c>kafka</c>: one record per message to a rendered Kafka topic (optional rendered key, payload or template) through
/// Confluent.Kafka. librdkafka's own queue is the action's bounded queue (<c>Broker:Rules:ActionQueueCapacity</c>
/// records; full: dropped and counted) and does the batching, retries and delivery timeout; delivery reports update
/// the counters. A broker that is down makes records fail after <c>timeoutMs</c>; MQTT and other actions go on.
/// </summary>
internal sealed class KafkaAction(
    int index,
    string ruleId,
    string bootstrapServers,
    RuleTemplate topic,
    RuleTemplate? key,
    RuleTemplate? payload,
    int timeoutMs,
    int retries,
    int retryDelayMs) : RuleAction(index)
{
    private IProducer<byte[]?, byte[]>? _producer;
    private Action<DeliveryReport<byte[]?, byte[]>>? _onDelivered;
    private TargetHealth? _health;

    public override string Type => RuleActionTypes.Kafka;

    /// <summary>Null when <paramref name="name"/> is a legal Kafka topic name (1-249 of a-z A-Z 0-9 . _ -), else why not.</summary>
    public static string? CheckTopic(string name)
    {
        if (name.Length is 0 or > 249 || name is "." or "..")
        {
            return $"Kafka topic '{name}' must be 1 to 249 characters and not '.' or '..'";
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return $"Kafka topic '{name}' may only hold letters, digits, '.', '_' and '-'";
            }
        }

        return null;
    }

    public override void Start(RuleRuntime runtime, RuleCounters counters)
    {
        base.Start(runtime, counters);
        _health = new TargetHealth(runtime.Logger, ruleId, Type, bootstrapServers);
        _onDelivered = OnDelivered;
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = $"iotix-rule-{ruleId}",
            LingerMs = 5,
            QueueBufferingMaxMessages = runtime.Options.ActionQueueCapacity,
            MessageTimeoutMs = timeoutMs,
            MessageSendMaxRetries = retries,
            RetryBackoffMs = retryDelayMs,
        };
        _producer = new ProducerBuilder<byte[]?, byte[]>(config).SetLogHandler(static (_, _) => { }).Build();
    }

    public override ValueTask ExecuteAsync(RuleMessage message, int depth)
    {
        var name = topic.Render(message);
        if (CheckTopic(name) is { } problem)
        {
            Counters.Failed(problem);
            return default;
        }

        try
        {
            _producer!.Produce(name, Record(message), _onDelivered);
        }
        catch (ProduceException<byte[]?, byte[]> exception) when (exception.Error.Code == ErrorCode.Local_QueueFull)
        {
            Counters.Dropped();
        }
        catch (KafkaException exception)
        {
            Counters.Failed(exception.Error.Reason);
        }

        return default;
    }

    public override RuleActionPreview Preview(RuleMessage message)
    {
        var name = topic.Render(message);
        var record = Record(message);
        var target = record.Key is null ? $"kafka {bootstrapServers} topic {name}" : $"kafka {bootstrapServers} topic {name} key {Encoding.UTF8.GetString(record.Key)}";
        return new RuleActionPreview(Index, Type, target, Encoding.UTF8.GetString(record.Value), null, CheckTopic(name));
    }

    public override ValueTask DisposeAsync()
    {
        if (_producer is { } producer)
        {
            // Records still undelivered after the flush are given up (their delivery reports count them as failed).
            producer.Flush(TimeSpan.FromSeconds(2));
            producer.Dispose();
        }

        return default;
    }

    private Message<byte[]?, byte[]> Record(RuleMessage message) => new()
    {
        Key = key is null ? null : Encoding.UTF8.GetBytes(key.Render(message)),
        Value = payload is null ? System.Buffers.BuffersExtensions.ToArray(message.Payload) : Encoding.UTF8.GetBytes(payload.Render(message)),
    };

    private void OnDelivered(DeliveryReport<byte[]?, byte[]> report)
    {
        if (report.Error.IsError)
        {
            Counters.Failed($"Kafka delivery failed: {report.Error.Reason}");
            _health!.Failed(report.Error.Reason);
        }
        else
        {
            Counters.Succeeded();
            _health!.Succeeded();
        }
    }
}
