using IoTix.Broker.Observability;
using IoTix.Broker.Persistence;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker;

/// <summary>Retained messages and persistent sessions survive a broker restart (FR-004, FR-015..FR-017).</summary>
public sealed class SqlitePersistenceTests
{
    [Fact]
    public async Task Retained_messages_and_persistent_sessions_survive_a_restart_on_sqlite()
    {
        var connectionString = BrokerInstance.TemporarySqlite(out var folder);
        try
        {
            await PersistenceScenarios.RestartSurvivalAsync(new Dictionary<string, string> { ["ConnectionStrings:IoTix"] = connectionString });
        }
        finally
        {
            BrokerInstance.DeleteFolder(folder);
        }
    }

    [Fact]
    public async Task Clean_start_discards_the_stored_session_across_a_restart()
    {
        var settings = new Dictionary<string, string> { ["ConnectionStrings:IoTix"] = BrokerInstance.TemporarySqlite(out var folder) };
        try
        {
            await using (var first = await BrokerInstance.StartAsync(settings))
            {
                using var client = await first.ConnectAsync("clean-later", configure: o => o.WithCleanStart(false).WithSessionExpiryInterval(3600));
                await client.SubscribeAsync("clean/#", MqttQualityOfServiceLevel.AtLeastOnce);
                await client.DisconnectAsync();
                using var clean = await first.ConnectAsync("clean-later", configure: o => o.WithCleanStart(true).WithSessionExpiryInterval(0));
                await clean.DisconnectAsync();
                await first.Services.GetRequiredService<BrokerWriteBehind>().WaitForIdleAsync(CancellationToken.None);
            }

            await using var second = await BrokerInstance.StartAsync(settings);
            using var again = new MqttClientFactory().CreateMqttClient();

            var result = await again.ConnectAsync(second.Options("clean-later").WithCleanStart(false).WithSessionExpiryInterval(3600).Build());

            Assert.False(result.IsSessionPresent);
        }
        finally
        {
            BrokerInstance.DeleteFolder(folder);
        }
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresPersistenceTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Retained_messages_and_persistent_sessions_survive_a_restart_on_postgresql()
    {
        var settings = new Dictionary<string, string>
        {
            ["Database:Provider"] = "postgresql",
            ["ConnectionStrings:IoTix"] = await postgres.CreateDatabaseAsync("iotix_restart"),
        };

        await PersistenceScenarios.RestartSurvivalAsync(settings);
    }

    [Fact]
    public async Task Broker_keeps_serving_mqtt_and_logs_a_warning_when_postgresql_goes_down()
    {
        var settings = new Dictionary<string, string>
        {
            ["Database:Provider"] = "postgresql",
            ["ConnectionStrings:IoTix"] = await postgres.CreateDatabaseAsync("iotix_down"),
            ["Database:RetryAfterSeconds"] = "60",
        };
        await using var broker = await BrokerInstance.StartAsync(settings, b => b.Logging.AddFakeLogging());
        try
        {
            await postgres.StopAsync();
            using var subscriber = await broker.ConnectAsync("down-sub", configure: o => o.WithCleanStart(false).WithSessionExpiryInterval(600));
            var received = new MessageCollector(subscriber);
            await subscriber.SubscribeAsync("down/#", MqttQualityOfServiceLevel.AtLeastOnce);
            using var publisher = await broker.ConnectAsync("down-pub");

            await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("down/state").WithPayload("still here").WithRetainFlag().WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

            var messages = await received.WaitForAsync(1);
            Assert.Equal("still here", messages[0].ConvertPayloadToString());
            await broker.Services.GetRequiredService<BrokerWriteBehind>().WaitForIdleAsync(new CancellationTokenSource(BrokerInstance.Timeout).Token);
            Assert.True(broker.Services.GetRequiredService<IBrokerMetrics>().GetSnapshot().PersistenceSkipped > 0);
            var warnings = broker.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Level == LogLevel.Warning).Select(r => r.Id.Id).ToList();
            Assert.Contains(1502, warnings); // broker store unavailable, writes skipped
            Assert.Contains(3002, warnings); // database unavailable
        }
        finally
        {
            await postgres.StartAsync();
        }
    }
}

internal static class PersistenceScenarios
{
    public static async Task RestartSurvivalAsync(Dictionary<string, string> settings)
    {
        var factory = new MqttClientFactory();
        await using (var first = await BrokerInstance.StartAsync(settings))
        {
            using (var subscriber = factory.CreateMqttClient())
            {
                await subscriber.ConnectAsync(SubscriberOptions(first));
                await subscriber.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("restart/#", MqttQualityOfServiceLevel.ExactlyOnce, noLocal: false, retainAsPublished: true).Build());
                await subscriber.DisconnectAsync();
            }

            using var publisher = await first.ConnectAsync("restart-pub", MqttProtocolVersion.V311);
            await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("restart/state").WithPayload("on").WithRetainFlag().WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            await publisher.PublishStringAsync("restart/event", "queued before restart", MqttQualityOfServiceLevel.ExactlyOnce);
            await publisher.PublishStringAsync("restart/ignored", "qos 0 is not kept", MqttQualityOfServiceLevel.AtMostOnce);
            await first.Services.GetRequiredService<BrokerWriteBehind>().WaitForIdleAsync(CancellationToken.None);
        }

        await using var second = await BrokerInstance.StartAsync(settings);
        using (var publisher = await second.ConnectAsync("restart-pub"))
        {
            await publisher.PublishStringAsync("restart/event", "published while the client was away", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        using var again = factory.CreateMqttClient();
        var received = new MessageCollector(again);
        var result = await again.ConnectAsync(SubscriberOptions(second));

        Assert.True(result.IsSessionPresent);
        var queued = await received.WaitForAsync(3);
        Assert.Equal(["on", "queued before restart", "published while the client was away"], queued.Select(m => m.ConvertPayloadToString()));
        Assert.True(queued[0].Retain); // retain as published, stored with the subscription
        Assert.Equal(MqttQualityOfServiceLevel.ExactlyOnce, queued[1].QualityOfServiceLevel);

        using var late = await second.ConnectAsync("restart-late");
        var retained = new MessageCollector(late);
        await late.SubscribeAsync("restart/state");
        Assert.Equal("on", (await retained.WaitForAsync(1))[0].ConvertPayloadToString());

        using (var publisher = await second.ConnectAsync("restart-pub"))
        {
            await publisher.PublishStringAsync("restart/event", "after reconnect", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        var all = await received.WaitForAsync(4);
        Assert.Equal("after reconnect", all[3].ConvertPayloadToString());
    }

    private static MqttClientOptions SubscriberOptions(BrokerInstance broker) =>
        broker.Options("restart-sub").WithCleanStart(false).WithSessionExpiryInterval(3600).Build();
}
