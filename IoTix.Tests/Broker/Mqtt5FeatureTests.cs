using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker;

/// <summary>MQTT 5 features of the hosted broker: topic aliases, subscription identifiers, flow control, properties, reason codes.</summary>
public sealed class Mqtt5FeatureTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private BrokerInstance Broker => fixture.Broker;

    [Fact]
    public async Task Connack_announces_a_topic_alias_maximum_so_clients_may_use_aliases()
    {
        using var client = new MqttClientFactory().CreateMqttClient();

        var result = await client.ConnectAsync(Broker.Options("alias-connack").Build());

        Assert.True(result.TopicAliasMaximum > 0, $"TopicAliasMaximum {result.TopicAliasMaximum}");
    }

    [Fact]
    public async Task Topic_alias_from_the_publisher_is_resolved_to_the_full_topic_for_subscribers()
    {
        using var subscriber = await Broker.ConnectAsync("alias-sub");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("alias/#", MqttQualityOfServiceLevel.AtLeastOnce);
        using var publisher = await Broker.ConnectAsync("alias-pub");

        var first = await publisher.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic("alias/sensors/temperature").WithPayload("set").WithTopicAlias(7)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        var second = await publisher.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic("").WithPayload("by alias").WithTopicAlias(7)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

        Assert.True(first.IsSuccess);
        Assert.True(second.IsSuccess);
        var messages = await received.WaitForAsync(2);
        Assert.Equal(["alias/sensors/temperature", "alias/sensors/temperature"], messages.Select(m => m.Topic).ToArray());
        Assert.Equal(["set", "by alias"], messages.Select(m => m.ConvertPayloadToString()).ToArray());
    }

    [Fact]
    public async Task Topic_alias_set_by_a_publisher_reaches_a_subscriber_without_aliases_as_the_full_topic()
    {
        // mosquitto_sub announces no Topic Alias Maximum: a forwarded alias would be a protocol error for it [MQTT-3.3.2-9].
        var subscriber = BrokerInstance.RunAsync("mosquitto_sub", "-h", "127.0.0.1", "-p", $"{Broker.TcpPort}", "-V", "mqttv5",
            "-t", "aliasfwd/#", "-C", "3", "-q", "1", "-v", "-i", "alias-mosquitto-sub");
        using var publisher = await Broker.ConnectAsync("aliasfwd-pub");
        using var probe = await Broker.ConnectAsync("aliasfwd-probe");
        await WaitForSubscriberAsync(probe, "aliasfwd/ready");

        await publisher.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic("aliasfwd/x").WithPayload("one").WithTopicAlias(3).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await publisher.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic("").WithPayload("two").WithTopicAlias(3).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

        var (exitCode, output) = await subscriber;
        Assert.Equal(0, exitCode);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["aliasfwd/x one", "aliasfwd/x two"], lines.Where(l => !l.StartsWith("aliasfwd/ready", StringComparison.Ordinal)).ToArray());
    }

    [Fact]
    public async Task Subscription_identifier_is_carried_by_delivered_messages()
    {
        using var subscriber = await Broker.ConnectAsync("subid-one");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("subid/one/#", MqttQualityOfServiceLevel.AtLeastOnce).WithSubscriptionIdentifier(42).Build());
        using var publisher = await Broker.ConnectAsync("subid-one-pub");

        await publisher.PublishStringAsync("subid/one/a", "x", MqttQualityOfServiceLevel.AtLeastOnce);

        var messages = await received.WaitForAsync(1);
        Assert.Equal([42u], messages[0].SubscriptionIdentifiers);
    }

    [Fact]
    public async Task Overlapping_subscriptions_deliver_one_copy_carrying_every_matching_subscription_identifier()
    {
        using var subscriber = await Broker.ConnectAsync("subid-two");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("subid/two/#", MqttQualityOfServiceLevel.AtLeastOnce).WithSubscriptionIdentifier(1).Build());
        await subscriber.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("subid/+/x", MqttQualityOfServiceLevel.AtLeastOnce).WithSubscriptionIdentifier(2).Build());
        using var publisher = await Broker.ConnectAsync("subid-two-pub");

        await publisher.PublishStringAsync("subid/two/x", "both", MqttQualityOfServiceLevel.AtLeastOnce);
        await publisher.PublishStringAsync("subid/two/end", "marker", MqttQualityOfServiceLevel.AtLeastOnce);

        var messages = await received.WaitForAsync(2);
        Assert.Equal(2, messages.Count);
        Assert.Equal([1u, 2u], messages[0].SubscriptionIdentifiers.Order().ToArray());
        Assert.Equal([1u], messages[1].SubscriptionIdentifiers);
    }

    [Fact]
    public async Task Receive_maximum_limits_unacknowledged_qos1_deliveries_until_the_client_acknowledges()
    {
        using var subscriber = await Broker.ConnectAsync("recvmax-sub", configure: o => o.WithReceiveMaximum(2));
        var held = new List<MqttApplicationMessageReceivedEventArgs>();
        var twoHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allFive = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var acknowledging = false;
        var total = 0;
        subscriber.ApplicationMessageReceivedAsync += e =>
        {
            lock (held)
            {
                total++;
                if (!acknowledging)
                {
                    e.AutoAcknowledge = false;
                    held.Add(e);
                }

                if (total == 2)
                {
                    twoHeld.TrySetResult();
                }

                if (total == 5)
                {
                    allFive.TrySetResult();
                }
            }

            return Task.CompletedTask;
        };
        await subscriber.SubscribeAsync("recvmax/t", MqttQualityOfServiceLevel.AtLeastOnce);
        using var publisher = await Broker.ConnectAsync("recvmax-pub");

        for (var i = 0; i < 5; i++)
        {
            await publisher.PublishStringAsync("recvmax/t", $"m{i}", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await twoHeld.Task.WaitAsync(BrokerInstance.Timeout);
        // The broker has taken the third message out of the session queue (only m3, m4 remain) and holds it at the quota.
        await WaitForPendingAsync("recvmax-sub", 2);
        int beforeAck;
        MqttApplicationMessageReceivedEventArgs[] toAcknowledge;
        lock (held)
        {
            beforeAck = total;
            acknowledging = true;
            toAcknowledge = [.. held];
        }

        Assert.Equal(2, beforeAck);
        foreach (var e in toAcknowledge)
        {
            await e.AcknowledgeAsync(CancellationToken.None);
        }

        await allFive.Task.WaitAsync(BrokerInstance.Timeout);
    }

    [Fact]
    public async Task User_properties_and_request_response_properties_reach_the_subscriber_unchanged()
    {
        using var subscriber = await Broker.ConnectAsync("props-sub");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("props/request", MqttQualityOfServiceLevel.AtLeastOnce);
        using var publisher = await Broker.ConnectAsync("props-pub");
        byte[] correlation = [0x00, 0x01, 0xFE, 0xFF];

        await publisher.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic("props/request").WithPayload("{}").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithUserProperty("b", Utf8("2")).WithUserProperty("a", Utf8("1")).WithUserProperty("b", Utf8("2")).WithUserProperty("a", Utf8("3"))
            .WithContentType("application/json").WithResponseTopic("props/reply/props-pub").WithCorrelationData(correlation)
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
            .Build());

        var message = (await received.WaitForAsync(1))[0];
        Assert.Equal(
            [("b", "2"), ("a", "1"), ("b", "2"), ("a", "3")],
            message.UserProperties.Select(p => (p.Name, p.ReadValueAsString())).ToArray());
        Assert.Equal("application/json", message.ContentType);
        Assert.Equal("props/reply/props-pub", message.ResponseTopic);
        Assert.Equal(correlation, message.CorrelationData);
        Assert.Equal(MqttPayloadFormatIndicator.CharacterData, message.PayloadFormatIndicator);
    }

    [Fact]
    public async Task Request_response_round_trip_uses_the_response_topic_and_correlation_data()
    {
        using var responder = await Broker.ConnectAsync("rr-responder");
        responder.ApplicationMessageReceivedAsync += e => responder.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(e.ApplicationMessage.ResponseTopic).WithPayload("pong")
            .WithCorrelationData(e.ApplicationMessage.CorrelationData).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await responder.SubscribeAsync("rr/ping", MqttQualityOfServiceLevel.AtLeastOnce);
        using var requester = await Broker.ConnectAsync("rr-requester");
        var replies = new MessageCollector(requester);
        await requester.SubscribeAsync("rr/reply/rr-requester", MqttQualityOfServiceLevel.AtLeastOnce);
        byte[] correlation = [7, 7, 7];

        await requester.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic("rr/ping").WithPayload("ping").WithResponseTopic("rr/reply/rr-requester").WithCorrelationData(correlation)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

        var reply = (await replies.WaitForAsync(1))[0];
        Assert.Equal("pong", reply.ConvertPayloadToString());
        Assert.Equal(correlation, reply.CorrelationData);
    }

    [Fact]
    public async Task Qos1_publish_without_matching_subscribers_is_acknowledged_with_no_matching_subscribers()
    {
        using var publisher = await Broker.ConnectAsync("nomatch-pub");

        var result = await publisher.PublishStringAsync("nomatch/nobody/listens", "x", MqttQualityOfServiceLevel.AtLeastOnce);

        Assert.Equal(MqttClientPublishReasonCode.NoMatchingSubscribers, result.ReasonCode);
    }

    [Fact]
    public async Task Fresh_broker_accepts_its_first_connection_within_ten_seconds_of_start()
    {
        var clock = Stopwatch.StartNew();
        await using var broker = await BrokerInstance.StartAsync();
        using var client = new MqttClientFactory().CreateMqttClient();

        var result = await client.ConnectAsync(broker.Options("sc011").Build());
        var elapsed = clock.Elapsed;

        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"first CONNACK after {elapsed}"); // SC-011
    }

    private async Task WaitForPendingAsync(string clientId, int pending)
    {
        var server = Broker.Services.GetRequiredService<IoTix.Broker.Server.BrokerHostedService>().Server!;
        using var cancel = new CancellationTokenSource(BrokerInstance.Timeout);
        while (true)
        {
            var sessions = await server.GetSessionsAsync();
            if (sessions.Any(s => s.Id == clientId && s.PendingApplicationMessagesCount <= pending))
            {
                return;
            }

            await Task.Delay(10, cancel.Token);
        }
    }

    private static ReadOnlyMemory<byte> Utf8(string value) => System.Text.Encoding.UTF8.GetBytes(value);

    private static async Task WaitForSubscriberAsync(IMqttClient probe, string readyTopic)
    {
        // mosquitto_sub subscribes asynchronously: publish QoS 1 "ready" messages until the PUBACK reports a matching subscriber (exactly one is delivered).
        using var cancel = new CancellationTokenSource(BrokerInstance.Timeout);
        while (true)
        {
            var result = await probe.PublishStringAsync(readyTopic, "r", MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: cancel.Token);
            if (result.ReasonCode == MqttClientPublishReasonCode.Success)
            {
                return;
            }

            await Task.Yield();
        }
    }

    [Fact]
    public async Task Server_keep_alive_is_sent_in_the_connack_and_enforced_instead_of_the_clients_keep_alive()
    {
        await using var broker = await BrokerInstance.StartAsync(new Dictionary<string, string> { ["Broker:ServerKeepAliveSeconds"] = "1" });
        using var client = new MqttClientFactory().CreateMqttClient();
        var connAck = await client.ConnectAsync(broker.Options("server-keep-alive").WithKeepAlivePeriod(TimeSpan.FromSeconds(300)).Build());
        await client.DisconnectAsync();
        using var silent = new TcpClient();
        await silent.ConnectAsync(IPAddress.Loopback, broker.TcpPort);
        // MQTT 5 CONNECT, clean start, Keep Alive 300 s, client id "silt"; then nothing.
        byte[] connect = [0x10, 0x11, 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x05, 0x02, 0x01, 0x2C, 0x00, 0x00, 0x04, (byte)'s', (byte)'i', (byte)'l', (byte)'t'];
        var started = Stopwatch.GetTimestamp();

        await silent.GetStream().WriteAsync(connect);
        var packets = await ReadUntilClosedAsync(silent.GetStream());
        var elapsed = Stopwatch.GetElapsedTime(started);

        Assert.Equal((ushort)1, connAck.ServerKeepAlive);
        Assert.Equal([0x20, 0xE0], packets.Select(static p => p.Type).ToArray()); // CONNACK, then DISCONNECT
        Assert.Equal((byte)MqttDisconnectReasonCode.KeepAliveTimeout, packets[1].Body[0]);
        Assert.True(elapsed >= TimeSpan.FromSeconds(1), $"closed after {elapsed.TotalMilliseconds:F0} ms, before the Server Keep Alive");
    }

    /// <summary>The packets the broker sends until it closes the connection (at most 30 s).</summary>
    private static async Task<List<(byte Type, byte[] Body)>> ReadUntilClosedAsync(NetworkStream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var bytes = new List<byte>();
        var buffer = new byte[1024];
        int read;
        while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
        {
            bytes.AddRange(buffer.AsSpan(0, read));
        }

        var packets = new List<(byte, byte[])>();
        var index = 0;
        while (index < bytes.Count)
        {
            var type = (byte)(bytes[index++] & 0xF0);
            int length = 0, shift = 0;
            byte encoded;
            do
            {
                encoded = bytes[index++];
                length |= (encoded & 0x7F) << shift;
                shift += 7;
            }
            while ((encoded & 0x80) != 0);

            packets.Add((type, bytes.GetRange(index, length).ToArray()));
            index += length;
        }

        return packets;
    }
}
