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

    [Fact]
    public async Task Shared_subscriptions_and_subscription_identifiers_of_persistent_sessions_survive_a_restart()
    {
        var settings = new Dictionary<string, string> { ["ConnectionStrings:IoTix"] = BrokerInstance.TemporarySqlite(out var folder) };
        try
        {
            await using (var first = await BrokerInstance.StartAsync(settings))
            {
                foreach (var (member, identifier) in new[] { ("share-a", 7u), ("share-b", 8u) })
                {
                    using var client = await first.ConnectAsync(member, configure: PersistentSession);
                    await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("$share/g/shared/#", MqttQualityOfServiceLevel.AtLeastOnce).WithSubscriptionIdentifier(identifier).Build());
                    await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter($"plain/{member}", MqttQualityOfServiceLevel.AtLeastOnce).WithSubscriptionIdentifier(identifier + 10).Build());
                    await client.DisconnectAsync();
                }

                await first.Services.GetRequiredService<BrokerWriteBehind>().WaitForIdleAsync(CancellationToken.None);
            }

            await using var second = await BrokerInstance.StartAsync(settings);
            using var publisher = await second.ConnectAsync("share-pub");
            for (var i = 0; i < 2; i++)
            {
                // Both members offline: each message is queued for one of them.
                await publisher.PublishStringAsync("shared/offline", $"m{i}", MqttQualityOfServiceLevel.AtLeastOnce);
            }

            using var a = new MqttClientFactory().CreateMqttClient();
            using var b = new MqttClientFactory().CreateMqttClient();
            var receivedA = new MessageCollector(a);
            var receivedB = new MessageCollector(b);
            var resumedA = await a.ConnectAsync(second.Options("share-a").WithCleanStart(false).WithSessionExpiryInterval(3600).Build());
            var resumedB = await b.ConnectAsync(second.Options("share-b").WithCleanStart(false).WithSessionExpiryInterval(3600).Build());
            for (var i = 2; i < 12; i++)
            {
                await publisher.PublishStringAsync("shared/online", $"m{i}", MqttQualityOfServiceLevel.AtLeastOnce);
            }

            // Last on each connection: once it arrives, every shared message (and any duplicate) has.
            await publisher.PublishStringAsync("plain/share-a", "end", MqttQualityOfServiceLevel.AtLeastOnce);
            await publisher.PublishStringAsync("plain/share-b", "end", MqttQualityOfServiceLevel.AtLeastOnce);
            var messagesA = await WaitForEndAsync(receivedA);
            var messagesB = await WaitForEndAsync(receivedB);
            var sharedA = messagesA.Where(static m => m.Topic.StartsWith("shared/", StringComparison.Ordinal)).ToList();
            var sharedB = messagesB.Where(static m => m.Topic.StartsWith("shared/", StringComparison.Ordinal)).ToList();

            Assert.True(resumedA.IsSessionPresent && resumedB.IsSessionPresent);
            Assert.Equal(Enumerable.Range(0, 12).Select(static i => $"m{i}").Order(), sharedA.Concat(sharedB).Select(static m => m.ConvertPayloadToString()).Order());
            Assert.NotEmpty(sharedA);
            Assert.NotEmpty(sharedB);
            Assert.All(sharedA, static m => Assert.Equal([7u], m.SubscriptionIdentifiers));
            Assert.All(sharedB, static m => Assert.Equal([8u], m.SubscriptionIdentifiers));
            Assert.Equal([17u], messagesA[^1].SubscriptionIdentifiers);
            Assert.Equal([18u], messagesB[^1].SubscriptionIdentifiers);
        }
        finally
        {
            BrokerInstance.DeleteFolder(folder);
        }
    }

    private static void PersistentSession(MqttClientOptionsBuilder options) => options.WithCleanStart(false).WithSessionExpiryInterval(3600);

    private static async Task<IReadOnlyList<MqttApplicationMessage>> WaitForEndAsync(MessageCollector collector)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var messages = collector.Messages;
            if (messages.Count > 0 && messages[^1].ConvertPayloadToString() == "end")
            {
                return messages;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no end marker after {messages.Count} messages");
            }

            await collector.WaitForAsync(messages.Count + 1, TimeSpan.FromSeconds(30));
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
