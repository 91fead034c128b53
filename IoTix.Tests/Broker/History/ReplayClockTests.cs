using IoTix.Broker.History;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker.History;

/// <summary>Replay scheduling (SC-009) on a fake clock: each message leaves exactly at its (scaled) original offset.</summary>
public sealed class ReplayClockTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-05-01T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private BrokerInstance _broker = null!;

    public async Task InitializeAsync() => _broker = await BrokerInstance.StartAsync(
        new Dictionary<string, string> { ["Broker:History:Topics:0"] = "clock/#" },
        b => b.Services.AddSingleton<TimeProvider>(_clock));

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task Original_pace_publishes_each_message_when_its_offset_is_reached_and_not_before()
    {
        await CaptureAsync("clock/original", [10, 5]);
        var history = _broker.Services.GetRequiredService<IMessageHistory>();

        var job = history.StartReplay(new ReplayRequest("clock/original", null, null, "clock-out/original", ReplayPace.Original, 1.0)).Job!;
        await WaitForPublishedAsync(history, job.Id, 1);
        _clock.Advance(TimeSpan.FromSeconds(9.9));
        var beforeOffset = await PublishedAfterSettlingAsync(history, job.Id);
        _clock.Advance(TimeSpan.FromSeconds(0.1));
        await WaitForPublishedAsync(history, job.Id, 2);
        _clock.Advance(TimeSpan.FromSeconds(4.9));
        var beforeThird = await PublishedAfterSettlingAsync(history, job.Id);
        _clock.Advance(TimeSpan.FromSeconds(0.1));
        await WaitForPublishedAsync(history, job.Id, 3);

        Assert.Equal(1, beforeOffset);
        Assert.Equal(2, beforeThird);
        await _broker.Services.GetRequiredService<MessageHistory>().WaitAsync(job.Id).WaitAsync(HistoryTestSupport.Patience);
        var done = history.GetReplay(job.Id)!;
        Assert.Equal(ReplayState.Completed, done.State);
        Assert.Equal(0, done.MaxLagMs); // on a fake clock every publish leaves exactly on time
    }

    [Fact]
    public async Task Scaled_pace_divides_the_offsets_by_the_speed()
    {
        await CaptureAsync("clock/scaled", [8]);
        var history = _broker.Services.GetRequiredService<IMessageHistory>();

        var job = history.StartReplay(new ReplayRequest("clock/scaled", null, null, "clock-out/scaled", ReplayPace.Scaled, 4.0)).Job!;
        await WaitForPublishedAsync(history, job.Id, 1);
        _clock.Advance(TimeSpan.FromSeconds(1.9));
        var beforeOffset = await PublishedAfterSettlingAsync(history, job.Id);
        _clock.Advance(TimeSpan.FromSeconds(0.1));
        await WaitForPublishedAsync(history, job.Id, 2);

        Assert.Equal(1, beforeOffset);
    }

    /// <summary>Publishes "0", "1" ... with the given gaps (seconds) on the fake clock.</summary>
    private async Task CaptureAsync(string topic, int[] gapsSeconds)
    {
        using (var publisher = await _broker.ConnectAsync(null))
        {
            await publisher.PublishStringAsync(topic, "0", MqttQualityOfServiceLevel.AtLeastOnce);
            for (var i = 0; i < gapsSeconds.Length; i++)
            {
                _clock.Advance(TimeSpan.FromSeconds(gapsSeconds[i]));
                await publisher.PublishStringAsync(topic, (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), MqttQualityOfServiceLevel.AtLeastOnce);
            }
        }

        await _broker.Services.WaitForHistoryAsync();
    }

    private static Task WaitForPublishedAsync(IMessageHistory history, string id, int count) =>
        HistoryTestSupport.WaitUntilAsync(() => Task.FromResult(history.GetReplay(id)!.Published >= count), $"{count} replayed messages");

    /// <summary>The published count after giving a wrongly early publish time to happen (real time: the replay runs on other threads).</summary>
    private static async Task<int> PublishedAfterSettlingAsync(IMessageHistory history, string id)
    {
        await Task.Delay(300);
        return history.GetReplay(id)!.Published;
    }
}
