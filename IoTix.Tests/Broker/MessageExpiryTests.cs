using IoTix.Broker.Observability;
using IoTix.Broker.Sessions;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IoTix.Tests.Broker;

/// <summary>Message Expiry Interval (FR-034): expired copies are not delivered, the rest carry the remaining interval.</summary>
public sealed class MessageExpiryTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2025-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private BrokerInstance _broker = null!;

    public async Task InitializeAsync() =>
        _broker = await BrokerInstance.StartAsync(configure: b => b.Services.AddSingleton<TimeProvider>(_clock));

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task Message_queued_for_an_offline_session_is_dropped_once_expired_and_the_rest_carry_the_remaining_interval()
    {
        var options = _broker.Options("expiry-offline").WithCleanStart(false).WithSessionExpiryInterval(600).Build();
        var factory = new MqttClientFactory();
        using (var first = factory.CreateMqttClient())
        {
            await first.ConnectAsync(options);
            await first.SubscribeAsync("expiry/offline/#", MqttQualityOfServiceLevel.AtLeastOnce);
            await first.DisconnectAsync();
        }

        using (var publisher = await _broker.ConnectAsync("expiry-offline-pub"))
        {
            await publisher.PublishAsync(Message("expiry/offline/short", "short", 10));
            await publisher.PublishAsync(Message("expiry/offline/long", "long", 100));
        }

        _clock.Advance(TimeSpan.FromSeconds(30));
        using var again = factory.CreateMqttClient();
        var received = new MessageCollector(again);
        await again.ConnectAsync(options);

        var messages = await received.WaitForAsync(1);
        await again.PingAsync(); // a round trip after the delivery: a second message would have arrived before it
        Assert.Single(received.Messages);
        Assert.Equal("long", messages[0].ConvertPayloadToString());
        Assert.Equal(70u, messages[0].MessageExpiryInterval);
        Assert.Equal(1, _broker.Services.GetRequiredService<IBrokerMetrics>().GetSnapshot().MessagesExpired);
    }

    [Fact]
    public async Task Expired_retained_message_is_not_sent_to_new_subscribers_and_is_deleted()
    {
        using (var publisher = await _broker.ConnectAsync("expiry-retained-pub"))
        {
            await publisher.PublishAsync(Message("expiry/retained/short", "short", 5, retain: true));
            await publisher.PublishAsync(Message("expiry/retained/long", "long", 100, retain: true));
        }

        _clock.Advance(TimeSpan.FromSeconds(20));
        using var subscriber = await _broker.ConnectAsync("expiry-retained-sub");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("expiry/retained/#", MqttQualityOfServiceLevel.AtLeastOnce);

        var messages = await received.WaitForAsync(1);
        await subscriber.PingAsync();
        Assert.Single(received.Messages);
        Assert.Equal("long", messages[0].ConvertPayloadToString());
        Assert.Equal(80u, messages[0].MessageExpiryInterval);
        var server = _broker.Services.GetRequiredService<IoTix.Broker.Server.BrokerHostedService>().Server!;
        await WaitUntilAsync(async () => await server.GetRetainedMessageAsync("expiry/retained/short") is null);
    }

    [Fact]
    public async Task Online_subscriber_gets_the_interval_and_never_sees_the_internal_deadline_property()
    {
        using var subscriber = await _broker.ConnectAsync("expiry-online-sub");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("expiry/online", MqttQualityOfServiceLevel.AtLeastOnce);
        using var publisher = await _broker.ConnectAsync("expiry-online-pub");
        var message = Message("expiry/online", "x", 30);
        message.UserProperties = [new MqttUserProperty(MessageExpiry.DeadlinePropertyName, "1"u8.ToArray().AsMemory()), new MqttUserProperty("app", "kept"u8.ToArray().AsMemory())];

        await publisher.PublishAsync(message);

        var messages = await received.WaitForAsync(1);
        Assert.Equal(30u, messages[0].MessageExpiryInterval);
        var property = Assert.Single(messages[0].UserProperties);
        Assert.Equal("app", property.Name);
    }

    [Fact]
    public async Task Mqtt311_subscriber_does_not_get_an_expired_queued_message()
    {
        var options = _broker.Options("expiry-v311", MqttProtocolVersion.V311).WithCleanSession(false).Build();
        var factory = new MqttClientFactory();
        using (var first = factory.CreateMqttClient())
        {
            await first.ConnectAsync(options);
            await first.SubscribeAsync("expiry/v311", MqttQualityOfServiceLevel.ExactlyOnce);
            await first.DisconnectAsync();
        }

        using (var publisher = await _broker.ConnectAsync("expiry-v311-pub"))
        {
            await publisher.PublishAsync(Message("expiry/v311", "expired", 1, qos: MqttQualityOfServiceLevel.ExactlyOnce));
        }

        _clock.Advance(TimeSpan.FromSeconds(5));
        using (var publisher = await _broker.ConnectAsync("expiry-v311-pub"))
        {
            await publisher.PublishAsync(Message("expiry/v311", "fresh", 0, qos: MqttQualityOfServiceLevel.ExactlyOnce));
        }

        using var again = factory.CreateMqttClient();
        var received = new MessageCollector(again);
        await again.ConnectAsync(options);

        var messages = await received.WaitForAsync(1);
        await again.PingAsync();
        Assert.Equal(["fresh"], received.Messages.Select(m => m.ConvertPayloadToString()));
    }

    private static MqttApplicationMessage Message(string topic, string payload, uint expirySeconds, bool retain = false, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce) =>
        new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(qos)
            .WithRetainFlag(retain)
            .WithMessageExpiryInterval(expirySeconds)
            .Build();

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(BrokerInstance.Timeout);
        while (!await condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}
