using System.Text;
using Confluent.Kafka;

namespace IoTix.Tests.Broker.Rules;

/// <summary>The kafka action against librdkafka's in-process mock cluster (no Kafka broker on these machines).</summary>
public sealed class KafkaRuleTests(RulesHostFixture fixture) : IClassFixture<RulesHostFixture>, IDisposable
{
    private readonly RulesHost _host = fixture.Host;
    private readonly IProducer<Null, string> _mock = new ProducerBuilder<Null, string>(MockConfig())
        .SetLogHandler(static (_, _) => { })
        .Build();

    private static ProducerConfig MockConfig()
    {
        var config = new ProducerConfig { BootstrapServers = "" };
        config.Set("test.mock.num.brokers", "1");
        return config;
    }

    public void Dispose() => _mock.Dispose();

    /// <summary>The mock cluster's address, read from its metadata.</summary>
    private string Bootstrap()
    {
        using var admin = new DependentAdminClientBuilder(_mock.Handle).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        return string.Join(',', metadata.Brokers.ConvertAll(static b => $"{b.Host}:{b.Port}"));
    }

    [Fact]
    public async Task The_kafka_action_produces_keyed_records_a_consumer_reads()
    {
        var bootstrap = Bootstrap();
        await _host.CreateRuleAsync(new
        {
            id = "to-kafka",
            name = "to kafka",
            topicFilters = new[] { "kafka/+/data" },
            actions = new object[] { new { type = "kafka", bootstrapServers = bootstrap, topic = "iot.${topic[1]}", key = "${clientid}", payload = """{"v":${payload.v}}""" } },
        });
        using var device = await _host.ConnectAsync("dev-kafka");

        await RulesHost.PublishAsync(device, "kafka/line1/data", """{"v":7}""");
        await _host.WaitForCountersAsync("to-kafka", c => c.GetProperty("actionsSucceeded").GetInt64() == 1);
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "rules-test",
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).SetLogHandler(static (_, _) => { }).Build();
        consumer.Subscribe("iot.line1");
        ConsumeResult<string, string>? record = null;
        var deadline = DateTime.UtcNow + RulesHost.WaitTimeout;
        while (record is null && DateTime.UtcNow < deadline)
        {
            record = consumer.Consume(TimeSpan.FromMilliseconds(500));
        }

        Assert.NotNull(record);
        Assert.Equal("dev-kafka", record.Message.Key);
        Assert.Equal("""{"v":7}""", record.Message.Value);
        consumer.Close();
    }

    [Fact]
    public async Task An_unreachable_kafka_fails_records_after_the_timeout_while_mqtt_goes_on()
    {
        await _host.CreateRuleAsync(new
        {
            id = "kafka-down",
            name = "kafka down",
            topicFilters = new[] { "kafkadown/#" },
            actions = new object[] { new { type = "kafka", bootstrapServers = $"127.0.0.1:{IoTix.Tests.Shared.BrokerInstance.FreePort()}", topic = "t", timeoutMs = 1000 } },
        });
        using var device = await _host.ConnectAsync("dev-kafka-down");
        using var subscriber = await _host.ConnectAsync("sub-kafka-down");
        var collector = new IoTix.Tests.Shared.MessageCollector(subscriber);
        await MQTTnet.MqttClientExtensions.SubscribeAsync(subscriber, "kafkadown/#");

        await RulesHost.PublishAsync(device, "kafkadown/a", "x");
        var counters = await _host.WaitForCountersAsync("kafka-down", c => c.GetProperty("actionsFailed").GetInt64() == 1);
        await collector.WaitForAsync(1, RulesHost.WaitTimeout);

        Assert.StartsWith("Kafka delivery failed", counters.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.Equal("x", Encoding.UTF8.GetString(collector.Messages[0].Payload));
    }
}
