using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;

namespace IoTix.Tests.Broker;

/// <summary>MQTT 5 will with a Will Delay Interval when another connection takes the client id over (3.1.2.5, [MQTT-3.1.3-9]).</summary>
public sealed class WillTakeoverTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2025-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private BrokerInstance _broker = null!;

    public async Task InitializeAsync() =>
        _broker = await BrokerInstance.StartAsync(configure: b => b.Services.AddSingleton<TimeProvider>(_clock));

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task Takeover_within_the_will_delay_without_clean_start_suppresses_the_will()
    {
        using var watcher = await _broker.ConnectAsync("takeover-watcher");
        var received = new MessageCollector(watcher);
        await watcher.SubscribeAsync("takeover/status");
        using var first = await ConnectWithWillAsync("takeover-keep");
        var takenOver = DisconnectSignal(first);

        using var second = await _broker.ConnectAsync("takeover-keep", configure: o => o.WithCleanStart(false).WithSessionExpiryInterval(60));
        await takenOver.WaitAsync(BrokerInstance.Timeout);
        _clock.Advance(TimeSpan.FromSeconds(10));
        await second.PublishStringAsync("takeover/status", "marker");

        // A will would have been published by the timer during Advance, before the marker.
        var messages = await received.WaitForAsync(1);
        Assert.Equal("marker", Assert.Single(messages).ConvertPayloadToString());
    }

    [Fact]
    public async Task Takeover_with_clean_start_ends_the_session_and_publishes_the_will()
    {
        using var watcher = await _broker.ConnectAsync("clean-takeover-watcher");
        var received = new MessageCollector(watcher);
        await watcher.SubscribeAsync("takeover/clean");
        using var first = await ConnectWithWillAsync("takeover-clean", "takeover/clean");

        using var second = await _broker.ConnectAsync("takeover-clean", configure: o => o.WithCleanStart(true));

        var messages = await received.WaitForAsync(1);
        Assert.Equal("will of the old connection", messages[0].ConvertPayloadToString());
    }

    private Task<IMqttClient> ConnectWithWillAsync(string clientId, string topic = "takeover/status") =>
        _broker.ConnectAsync(clientId, configure: o => o
            .WithCleanStart(false)
            .WithSessionExpiryInterval(60)
            .WithWillTopic(topic)
            .WithWillPayload("will of the old connection")
            .WithWillDelayInterval(5));

    private static Task DisconnectSignal(IMqttClient client)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += _ =>
        {
            signal.TrySetResult();
            return Task.CompletedTask;
        };
        return signal.Task;
    }
}
