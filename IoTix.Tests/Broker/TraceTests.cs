using IoTix.Broker.Observability;
using IoTix.Tests.Shared;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker;

/// <summary>Packet tracing for selected topics and clients (FR-028) with correlation ids (FR-029).</summary>
public sealed class TraceTests : IAsyncLifetime
{
    private readonly ReloadableSettings _settings = new();
    private BrokerInstance _broker = null!;

    public async Task InitializeAsync()
    {
        _settings.Set("Broker:Trace:TopicFilters:0", "trace/#");
        _settings.Set("Broker:Trace:PayloadPreviewBytes", "16");
        _broker = await BrokerInstance.StartAsync(configure: b =>
        {
            ((IConfigurationBuilder)b.Configuration).Add(_settings);
            b.Logging.AddFakeLogging();
            b.Logging.AddFilter("IoTix.Broker.Trace", LogLevel.Information);
        });
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task Publish_on_a_traced_topic_is_logged_in_and_out_with_its_correlation_id_and_preview()
    {
        using var subscriber = await _broker.ConnectAsync("trace-sub");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("#");
        using var publisher = await _broker.ConnectAsync("trace-pub");

        await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("trace/a").WithPayload("hello trace").WithUserProperty("correlation-id", "req-42"u8.ToArray().AsMemory()).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await publisher.PublishStringAsync("other/b", "not traced", MqttQualityOfServiceLevel.AtLeastOnce);
        await received.WaitForAsync(2);

        var lines = TraceLines();
        var inbound = Assert.Single(lines, l => l.Contains("in PUBLISH client trace-pub topic trace/a", StringComparison.Ordinal));
        Assert.Contains("qos 1 payload 11 B correlation req-42 hello trace", inbound, StringComparison.Ordinal);
        Assert.Single(lines, l => l.Contains("out PUBLISH client trace-sub topic trace/a", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("other/b", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Client_id_added_at_run_time_is_traced_for_every_packet_type_until_removed()
    {
        var trace = _broker.Services.GetRequiredService<IBrokerTrace>();
        using var client = await _broker.ConnectAsync("trace-client");

        trace.AddClientId("trace-client");
        await client.PingAsync();
        Assert.True(trace.RemoveClientId("trace-client"));
        await client.PingAsync();

        var lines = TraceLines().Where(l => l.Contains("client trace-client", StringComparison.Ordinal)).ToList();
        Assert.Single(lines, l => l.Contains("in PINGREQ", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("out PINGRESP", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reloaded_topic_filters_apply_without_restart()
    {
        using var subscriber = await _broker.ConnectAsync("reload-sub");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("reload/#");
        using var publisher = await _broker.ConnectAsync("reload-pub");

        _settings.Set("Broker:Trace:TopicFilters:0", "reload/+");
        await publisher.PublishStringAsync("reload/x", "now traced", MqttQualityOfServiceLevel.AtLeastOnce);
        await received.WaitForAsync(1);

        Assert.Contains(TraceLines(), l => l.Contains("topic reload/x", StringComparison.Ordinal));
        Assert.Equal(["reload/+"], _broker.Services.GetRequiredService<IBrokerTrace>().TopicFilters);
    }

    [Fact]
    public void Correlation_id_comes_from_traceparent_or_correlation_data()
    {
        var traceparent = BrokerTrace.CorrelationId([new MQTTnet.Packets.MqttUserProperty("traceparent", "00-abc-01"u8.ToArray().AsMemory())], [1, 2]);
        var data = BrokerTrace.CorrelationId(null, "order-7"u8.ToArray());
        var binary = BrokerTrace.CorrelationId(null, [0x00, 0xff]);

        Assert.Equal("00-abc-01", traceparent);
        Assert.Equal("order-7", data);
        Assert.Equal("00FF", binary);
    }

    private List<string> TraceLines() =>
        _broker.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Category == "IoTix.Broker.Trace" && r.Id.Id == 1701 && r.Level == LogLevel.Information).Select(r => r.Message).ToList();

    /// <summary>A configuration source whose changes fire the reload token, like an edited appsettings.json.</summary>
    private sealed class ReloadableSettings : ConfigurationProvider, IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

        public new void Set(string key, string? value)
        {
            Data[key] = value;
            OnReload();
        }
    }
}
