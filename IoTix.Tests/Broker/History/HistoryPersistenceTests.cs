using IoTix.Broker.History;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker.History;

/// <summary>History across a restart (SQLite file) and while the database is down (FR-043a).</summary>
public sealed class HistoryPersistenceTests
{
    [Fact]
    public async Task History_survives_a_restart_on_the_same_sqlite_file()
    {
        var folder = Directory.CreateTempSubdirectory("iotix-hist-restart-").FullName;
        var settings = new Dictionary<string, string?> { ["Broker:History:Topics:0"] = "restart/#" };
        try
        {
            await using (var first = ConsoleBrokerHost.Start(settings, dataFolder: folder))
            {
                using var publisher = await first.ConnectAsync("restart-hist-pub");
                await publisher.PublishStringAsync("restart/a", "before restart", MqttQualityOfServiceLevel.AtLeastOnce);
                await first.Services.WaitForHistoryAsync();
            }

            await using var second = ConsoleBrokerHost.Start(settings, dataFolder: folder);
            var page = await second.Http.GetJsonAsync("/api/v1/history?topic=restart/%23");

            var item = Assert.Single(page.GetProperty("items").EnumerateArray());
            Assert.Equal("before restart", item.GetProperty("message").GetProperty("payloadText").GetString());
            Assert.Equal("restart-hist-pub", item.GetProperty("clientId").GetString());
        }
        finally
        {
            BrokerInstance.DeleteFolder(folder);
        }
    }
}

[Collection(PostgresCollection.Name)]
public sealed class HistoryOutageTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Broker_keeps_delivering_and_warns_while_postgresql_is_down_then_captures_again()
    {
        var settings = new Dictionary<string, string>
        {
            ["Database:Provider"] = "postgresql",
            ["ConnectionStrings:IoTix"] = await postgres.CreateDatabaseAsync("iotix_hist_down"),
            ["Database:RetryAfterSeconds"] = "1",
            ["Broker:History:Topics:0"] = "down/#",
        };
        await using var broker = await BrokerInstance.StartAsync(settings, b => b.Logging.AddFakeLogging());
        var recorder = broker.Services.GetRequiredService<HistoryRecorder>();
        using var subscriber = await broker.ConnectAsync("hist-down-sub");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("down/#", MqttQualityOfServiceLevel.AtLeastOnce);
        using var publisher = await broker.ConnectAsync("hist-down-pub");
        try
        {
            await postgres.StopAsync();

            await publisher.PublishStringAsync("down/a", "during the outage", MqttQualityOfServiceLevel.AtLeastOnce);

            var messages = await received.WaitForAsync(1);
            Assert.Equal("during the outage", messages[0].ConvertPayloadToString());
            await broker.Services.WaitForHistoryAsync();
            Assert.True(recorder.Writer!.Skipped > 0);
            var warnings = broker.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Level == LogLevel.Warning).Select(r => r.Id.Id).ToList();
            Assert.Contains(1512, warnings); // history store unavailable, records skipped
        }
        finally
        {
            await postgres.StartAsync();
        }

        await HistoryTestSupport.WaitUntilAsync(
            async () =>
            {
                await publisher.PublishStringAsync("down/b", "after the outage", MqttQualityOfServiceLevel.AtLeastOnce);
                await broker.Services.WaitForHistoryAsync();
                var page = await broker.Services.GetRequiredService<IMessageHistory>().QueryAsync(new HistoryQuery("down/b", null, null, null, 0, 10));
                return page is { Items.Count: > 0 };
            },
            "history to be stored again after PostgreSQL is back");
        Assert.True(recorder.Writer!.Written > 0);
    }
}
