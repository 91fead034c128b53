using System.Net.Sockets;
using IoTix.Tests.Shared;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker;

/// <summary>MQTT 3.1.1 / 5.0 behaviour of the hosted broker, with MQTTnet clients, mosquitto's tools and paho.</summary>
public sealed class MessagingConformanceTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private BrokerInstance Broker => fixture.Broker;

    [Theory]
    [InlineData(MqttQualityOfServiceLevel.AtMostOnce, MqttProtocolVersion.V500)]
    [InlineData(MqttQualityOfServiceLevel.AtLeastOnce, MqttProtocolVersion.V500)]
    [InlineData(MqttQualityOfServiceLevel.ExactlyOnce, MqttProtocolVersion.V500)]
    [InlineData(MqttQualityOfServiceLevel.AtLeastOnce, MqttProtocolVersion.V311)]
    [InlineData(MqttQualityOfServiceLevel.ExactlyOnce, MqttProtocolVersion.V311)]
    public async Task Publish_at_each_qos_is_delivered_once_at_that_qos(MqttQualityOfServiceLevel qos, MqttProtocolVersion version)
    {
        var topic = $"qos/{qos}/{version}";
        using var subscriber = await Broker.ConnectAsync($"sub-{qos}-{version}", version);
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync(topic, MqttQualityOfServiceLevel.ExactlyOnce);
        using var publisher = await Broker.ConnectAsync($"pub-{qos}-{version}", version);

        var result = await publisher.PublishStringAsync(topic, "hello", qos);

        Assert.True(result.IsSuccess);
        var messages = await received.WaitForAsync(1);
        Assert.Equal(qos, messages[0].QualityOfServiceLevel);
        Assert.Equal("hello", messages[0].ConvertPayloadToString());
        using var probe = await Broker.ConnectAsync($"probe-{qos}-{version}");
        await probe.PublishStringAsync(topic, "marker", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal(2, (await received.WaitForAsync(2)).Count);
    }

    [Fact]
    public async Task Retained_message_is_set_replaced_and_cleared_with_an_empty_payload()
    {
        using var publisher = await Broker.ConnectAsync("retain-pub");
        await publisher.PublishStringAsync("retain/a", "first", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await publisher.PublishStringAsync("retain/a", "second", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);

        using var late = await Broker.ConnectAsync("retain-late");
        var received = new MessageCollector(late);
        await late.SubscribeAsync("retain/#");
        var messages = await received.WaitForAsync(1);
        Assert.Equal("second", messages[0].ConvertPayloadToString());
        Assert.True(messages[0].Retain);

        await publisher.PublishBinaryAsync("retain/a", [], MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        using var afterClear = await Broker.ConnectAsync("retain-after-clear");
        var afterClearReceived = new MessageCollector(afterClear);
        await afterClear.SubscribeAsync("retain/#");
        await publisher.PublishStringAsync("retain/marker", "live");
        var afterClearMessages = await afterClearReceived.WaitForAsync(1);
        Assert.Equal("retain/marker", afterClearMessages[0].Topic);
    }

    [Fact]
    public async Task Single_and_multi_level_wildcards_match_per_the_spec()
    {
        using var subscriber = await Broker.ConnectAsync("wildcards");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("wild/+/temp");
        await subscriber.SubscribeAsync("deep/#");
        using var publisher = await Broker.ConnectAsync("wildcards-pub");

        await publisher.PublishStringAsync("wild/a/temp", "1");
        await publisher.PublishStringAsync("wild/a/b/temp", "no");
        await publisher.PublishStringAsync("deep", "2");
        await publisher.PublishStringAsync("deep/x/y", "3");
        await publisher.PublishStringAsync("wild/b/temp", "4", MqttQualityOfServiceLevel.AtLeastOnce);

        var messages = await received.WaitForAsync(4);
        Assert.Equal(["wild/a/temp", "deep", "deep/x/y", "wild/b/temp"], messages.Select(m => m.Topic).ToArray());
    }

    [Fact]
    public async Task Overlapping_subscriptions_deliver_one_copy_at_the_highest_granted_qos()
    {
        using var subscriber = await Broker.ConnectAsync("overlap");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("over/#", MqttQualityOfServiceLevel.AtMostOnce);
        await subscriber.SubscribeAsync("over/+/x", MqttQualityOfServiceLevel.AtLeastOnce);
        using var publisher = await Broker.ConnectAsync("overlap-pub");

        await publisher.PublishStringAsync("over/a/x", "once", MqttQualityOfServiceLevel.AtLeastOnce);
        await publisher.PublishStringAsync("over/end", "marker", MqttQualityOfServiceLevel.AtLeastOnce);

        var messages = await received.WaitForAsync(2);
        Assert.Equal(2, messages.Count);
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, messages[0].QualityOfServiceLevel);
        Assert.Equal("over/end", messages[1].Topic);
    }

    [Fact]
    public async Task Shared_subscription_distributes_each_message_to_one_group_member()
    {
        using var first = await Broker.ConnectAsync("share-1");
        using var second = await Broker.ConnectAsync("share-2");
        using var normal = await Broker.ConnectAsync("share-normal");
        var firstReceived = new MessageCollector(first);
        var secondReceived = new MessageCollector(second);
        var normalReceived = new MessageCollector(normal);
        await first.SubscribeAsync("$share/workers/jobs/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await second.SubscribeAsync("$share/workers/jobs/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await normal.SubscribeAsync("jobs/#", MqttQualityOfServiceLevel.AtLeastOnce);
        using var publisher = await Broker.ConnectAsync("share-pub");

        for (var i = 0; i < 10; i++)
        {
            await publisher.PublishStringAsync("jobs/run", i.ToString(System.Globalization.CultureInfo.InvariantCulture), MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await normalReceived.WaitForAsync(10);
        await firstReceived.WaitForAsync(5);
        await secondReceived.WaitForAsync(5);
        var delivered = firstReceived.Messages.Concat(secondReceived.Messages).Select(m => m.ConvertPayloadToString()).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order().ToArray(), delivered);
    }

    [Fact]
    public async Task Persistent_session_restores_subscriptions_and_delivers_queued_qos1_messages()
    {
        var options = Broker.Options("persistent", MqttProtocolVersion.V311).WithCleanSession(false).Build();
        var factory = new MqttClientFactory();
        using (var first = factory.CreateMqttClient())
        {
            await first.ConnectAsync(options);
            await first.SubscribeAsync("persist/t", MqttQualityOfServiceLevel.AtLeastOnce);
            await first.DisconnectAsync();
        }

        using (var publisher = await Broker.ConnectAsync("persist-pub"))
        {
            await publisher.PublishStringAsync("persist/t", "while offline", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        using var again = factory.CreateMqttClient();
        var received = new MessageCollector(again);
        var result = await again.ConnectAsync(options);

        Assert.True(result.IsSessionPresent);
        var messages = await received.WaitForAsync(1);
        Assert.Equal("while offline", messages[0].ConvertPayloadToString());
    }

    [Fact]
    public async Task Last_will_is_published_when_a_client_drops_without_disconnect()
    {
        using var watcher = await Broker.ConnectAsync("will-watcher");
        var received = new MessageCollector(watcher);
        await watcher.SubscribeAsync("will/status");
        using var raw = new TcpClient();
        await raw.ConnectAsync("127.0.0.1", Broker.TcpPort);
        var stream = raw.GetStream();

        await stream.WriteAsync(RawPackets.Connect311("will-dropper", keepAliveSeconds: 60, willTopic: "will/status", willMessage: "gone"));
        Assert.Equal(0x20, await RawPackets.ReadByteAsync(stream));
        raw.Client.Close();

        var messages = await received.WaitForAsync(1);
        Assert.Equal("gone", messages[0].ConvertPayloadToString());
    }

    [Fact]
    public async Task Keep_alive_timeout_disconnects_a_silent_client_and_publishes_its_will()
    {
        using var watcher = await Broker.ConnectAsync("keepalive-watcher");
        var received = new MessageCollector(watcher);
        await watcher.SubscribeAsync("keepalive/status");
        using var raw = new TcpClient();
        await raw.ConnectAsync("127.0.0.1", Broker.TcpPort);
        var stream = raw.GetStream();

        await stream.WriteAsync(RawPackets.Connect311("silent", keepAliveSeconds: 1, willTopic: "keepalive/status", willMessage: "timed out"));
        Assert.Equal(0x20, await RawPackets.ReadByteAsync(stream));

        var messages = await received.WaitForAsync(1);
        Assert.Equal("timed out", messages[0].ConvertPayloadToString());
    }

    [Fact]
    public async Task Will_delay_interval_on_mqtt5_holds_the_will_until_the_delay_passes()
    {
        using var watcher = await Broker.ConnectAsync("delay-watcher");
        var received = new MessageCollector(watcher);
        await watcher.SubscribeAsync("delay/status");
        var dropper = await Broker.ConnectAsync("delay-dropper", configure: o => o
            .WithWillTopic("delay/status").WithWillPayload("late will").WithWillDelayInterval(1).WithSessionExpiryInterval(60));
        var dropped = DateTime.UtcNow;

        dropper.Dispose();

        var messages = await received.WaitForAsync(1);
        Assert.Equal("late will", messages[0].ConvertPayloadToString());
        Assert.True(DateTime.UtcNow - dropped >= TimeSpan.FromMilliseconds(900));
    }

    [Fact]
    public async Task Duplicate_client_id_takes_over_the_existing_connection_by_default()
    {
        using var first = await Broker.ConnectAsync("dup-id");
        var disconnected = new TaskCompletionSource<MqttClientDisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        first.DisconnectedAsync += e =>
        {
            disconnected.TrySetResult(e.Reason);
            return Task.CompletedTask;
        };

        using var second = await Broker.ConnectAsync("dup-id");

        Assert.Equal(MqttClientDisconnectReason.SessionTakenOver, await disconnected.Task.WaitAsync(BrokerInstance.Timeout));
        Assert.True(second.IsConnected);
    }

    [Fact]
    public async Task Oversized_payload_on_mqtt5_ends_the_connection_with_packet_too_large()
    {
        using var client = await Broker.ConnectAsync("too-large");
        var disconnected = new TaskCompletionSource<MqttClientDisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += e =>
        {
            disconnected.TrySetResult(e.Reason);
            return Task.CompletedTask;
        };

        _ = client.PublishBinaryAsync("big", new byte[(256 * 1024) + 1]).ContinueWith(static _ => { }, TaskScheduler.Default);

        Assert.Equal(MqttClientDisconnectReason.PacketTooLarge, await disconnected.Task.WaitAsync(BrokerInstance.Timeout));
    }

    [Fact]
    public async Task Oversized_payload_on_mqtt311_closes_the_connection_and_is_not_delivered()
    {
        using var watcher = await Broker.ConnectAsync("big-watcher");
        var received = new MessageCollector(watcher);
        await watcher.SubscribeAsync("big311/#");
        using var client = await Broker.ConnectAsync("too-large-311", MqttProtocolVersion.V311);
        var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += _ =>
        {
            disconnected.TrySetResult();
            return Task.CompletedTask;
        };

        _ = client.PublishBinaryAsync("big311/x", new byte[(256 * 1024) + 1]).ContinueWith(static _ => { }, TaskScheduler.Default);
        await disconnected.Task.WaitAsync(BrokerInstance.Timeout);
        using var small = await Broker.ConnectAsync("small-311", MqttProtocolVersion.V311);
        await small.PublishBinaryAsync("big311/ok", new byte[256 * 1024], MqttQualityOfServiceLevel.AtLeastOnce);

        var messages = await received.WaitForAsync(1);
        Assert.Equal("big311/ok", messages[0].Topic);
    }

    [Fact]
    public async Task Empty_client_id_on_mqtt5_is_accepted_with_an_assigned_identifier()
    {
        using var client = new MqttClientFactory().CreateMqttClient();

        var result = await client.ConnectAsync(Broker.Options("").WithCleanStart(true).Build());

        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        Assert.StartsWith("iotix-", result.AssignedClientIdentifier, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_client_id_on_mqtt311_with_clean_session_is_accepted_for_paho()
    {
        var script = $"""
            import paho.mqtt.client as mqtt, sys
            rc = []
            c = mqtt.Client(client_id="", clean_session=True, protocol=mqtt.MQTTv311)
            c.on_connect = lambda cl, u, f, r: (rc.append(r), cl.disconnect())
            c.connect("127.0.0.1", {Broker.TcpPort}, 30)
            c.loop_forever()
            print("rc=%d" % rc[0])
            """;

        var (exitCode, output) = await BrokerInstance.RunAsync("/usr/bin/python3", "-c", script);

        Assert.Equal(0, exitCode);
        Assert.Contains("rc=0", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_client_id_on_mqtt311_without_clean_session_is_rejected_with_identifier_rejected()
    {
        using var raw = new TcpClient();
        await raw.ConnectAsync("127.0.0.1", Broker.TcpPort);
        var stream = raw.GetStream();

        await stream.WriteAsync(RawPackets.Connect311("", keepAliveSeconds: 30, cleanSession: false));

        var connAck = new byte[4];
        await stream.ReadExactlyAsync(connAck).AsTask().WaitAsync(BrokerInstance.Timeout);
        Assert.Equal(0x20, connAck[0]);
        Assert.Equal(0x02, connAck[3]);
    }

    [Theory]
    [InlineData("mqttv311")]
    [InlineData("mqttv5")]
    public async Task Mosquitto_clients_publish_and_subscribe_through_the_broker(string version)
    {
        var topic = $"mosquitto/{version}";
        var subscriber = BrokerInstance.RunAsync("mosquitto_sub", "-h", "127.0.0.1", "-p", $"{Broker.TcpPort}", "-V", version, "-t", topic, "-C", "1", "-q", "1", "-i", $"msub-{version}");

        // Retained, so the subscriber gets it whether it subscribed before or after the publish.
        var (pubExit, pubOutput) = await BrokerInstance.RunAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", $"{Broker.TcpPort}", "-V", version, "-t", topic, "-m", "from mosquitto", "-q", "2", "-r");

        Assert.True(pubExit == 0, pubOutput);
        var (subExit, subOutput) = await subscriber;
        Assert.Equal(0, subExit);
        Assert.Equal("from mosquitto", subOutput.Trim());
    }
}

/// <summary>Hand-built MQTT 3.1.1 packets for tests that need what a client library will not send.</summary>
internal static class RawPackets
{
    public static byte[] Connect311(string clientId, ushort keepAliveSeconds, bool cleanSession = true, string? willTopic = null, string? willMessage = null)
    {
        var body = new List<byte> { 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4 };
        byte flags = 0;
        if (cleanSession)
        {
            flags |= 0x02;
        }

        if (willTopic is not null)
        {
            flags |= 0x04;
        }

        body.Add(flags);
        body.Add((byte)(keepAliveSeconds >> 8));
        body.Add((byte)keepAliveSeconds);
        AddString(body, clientId);
        if (willTopic is not null)
        {
            AddString(body, willTopic);
            AddString(body, willMessage ?? "");
        }

        var packet = new List<byte> { 0x10, (byte)body.Count };
        packet.AddRange(body);
        return [.. packet];
    }

    public static async Task<int> ReadByteAsync(Stream stream)
    {
        var buffer = new byte[1];
        await stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(BrokerInstance.Timeout);
        return buffer[0];
    }

    private static void AddString(List<byte> body, string value)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(value);
        body.Add((byte)(bytes.Length >> 8));
        body.Add((byte)bytes.Length);
        body.AddRange(bytes);
    }
}
