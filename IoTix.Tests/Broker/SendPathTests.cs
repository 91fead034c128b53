using System.Net.Sockets;
using System.Text;
using IoTix.Broker.Observability;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker;

/// <summary>
/// The broker's send path coalesces outgoing packets per connection and flushes when no further packet is certain to
/// follow; these tests check that nothing is lost, reordered or held back, over the real TCP listener.
/// </summary>
public sealed class SendPathTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private BrokerInstance Broker => fixture.Broker;

    [Theory]
    [InlineData(MqttQualityOfServiceLevel.AtMostOnce, MqttProtocolVersion.V311)]
    [InlineData(MqttQualityOfServiceLevel.AtLeastOnce, MqttProtocolVersion.V500)]
    [InlineData(MqttQualityOfServiceLevel.ExactlyOnce, MqttProtocolVersion.V500)]
    public async Task A_burst_to_one_subscriber_arrives_complete_and_in_order(MqttQualityOfServiceLevel qos, MqttProtocolVersion version)
    {
        const int count = 3000;
        var topic = $"burst/{qos}/{version}";
        using var subscriber = await Broker.ConnectAsync($"burst-sub-{qos}-{version}", version);
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync(topic, qos);
        using var publisher = await Broker.ConnectAsync($"burst-pub-{qos}-{version}", version);

        // Published without waiting for each acknowledgement, so the broker's session queue fills and drains in bursts.
        var publishes = new Task[count];
        for (var i = 0; i < count; i++)
        {
            publishes[i] = publisher.PublishBinaryAsync(topic, BitConverter.GetBytes(i), qos);
        }

        await Task.WhenAll(publishes).WaitAsync(TimeSpan.FromSeconds(60));
        var messages = await received.WaitForAsync(count, TimeSpan.FromSeconds(60));

        Assert.Equal(count, messages.Count);
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(i, BitConverter.ToInt32(System.Buffers.BuffersExtensions.ToArray(messages[i].Payload)));
        }
    }

    [Fact]
    public async Task A_single_message_is_delivered_without_waiting_for_more_traffic()
    {
        using var subscriber = await Broker.ConnectAsync("single-sub");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("single/one");
        using var publisher = await Broker.ConnectAsync("single-pub");

        await publisher.PublishStringAsync("single/one", "lonely");

        // Nothing else is sent on either connection: the message must not sit in a buffer.
        var messages = await received.WaitForAsync(1, TimeSpan.FromSeconds(10));
        Assert.Equal("lonely", messages[0].ConvertPayloadToString());
    }

    [Fact]
    public async Task Pingreq_on_a_raw_connection_gets_its_pingresp_at_once()
    {
        using var socket = await ConnectRawAsync(RawPackets.Connect311("raw-ping", 60));
        var stream = new NetworkStream(socket);
        Assert.Equal(0x20, await RawPackets.ReadByteAsync(stream));
        await ReadExactlyAsync(stream, 3);

        await stream.WriteAsync(new byte[] { 0xC0, 0x00 });

        Assert.Equal(0xD0, await RawPackets.ReadByteAsync(stream));
        Assert.Equal(0x00, await RawPackets.ReadByteAsync(stream));
    }

    [Fact]
    public async Task Many_unacknowledged_qos1_publishes_each_get_their_puback()
    {
        using var publisher = await Broker.ConnectAsync("puback-burst");
        var publishes = new Task<MqttClientPublishResult>[2000];
        for (var i = 0; i < publishes.Length; i++)
        {
            publishes[i] = publisher.PublishStringAsync("puback/burst", "x", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        var results = await Task.WhenAll(publishes).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.All(results, static result => Assert.True(result.IsSuccess));
    }

    [Fact]
    public async Task Message_and_byte_counters_are_kept_per_connection_and_survive_disconnect()
    {
        var metrics = Broker.Services.GetRequiredService<IBrokerMetrics>();
        var before = metrics.GetSnapshot();
        using (var subscriber = await Broker.ConnectAsync("count-sub"))
        {
            var received = new MessageCollector(subscriber);
            await subscriber.SubscribeAsync("count/#");
            using var publisher = await Broker.ConnectAsync("count-pub");
            for (var i = 0; i < 10; i++)
            {
                await publisher.PublishStringAsync("count/x", "abc", MqttQualityOfServiceLevel.AtLeastOnce);
            }

            await received.WaitForAsync(10);
            var connected = metrics.GetSnapshot();
            Assert.True(connected.MessagesReceived - before.MessagesReceived >= 10);
            Assert.True(connected.MessagesSent - before.MessagesSent >= 10);
            await publisher.DisconnectAsync();
            await subscriber.DisconnectAsync();
        }

        var after = await WaitForAsync(() => metrics.GetSnapshot(), s => s.ConnectionsCurrent <= before.ConnectionsCurrent);
        Assert.True(after.MessagesReceived - before.MessagesReceived >= 10);
        Assert.True(after.MessagesSent - before.MessagesSent >= 10);
        Assert.True(after.BytesReceived > before.BytesReceived && after.BytesSent > before.BytesSent);
    }

    [Fact]
    public async Task Connack_announces_the_maximum_packet_size_to_mqtt5_clients()
    {
        var client = new MqttClientFactory().CreateMqttClient();
        using var cancel = new CancellationTokenSource(BrokerInstance.Timeout);

        var result = await client.ConnectAsync(Broker.Options("max-packet").Build(), cancel.Token);

        Assert.Equal((uint)((256 * 1024) + (64 * 1024)), result.MaximumPacketSize);
        client.Dispose();
    }

    [Fact]
    public async Task Oversized_fixed_header_on_mqtt5_gets_packet_too_large_before_the_body_is_sent()
    {
        using var socket = await ConnectRawAsync(Connect5("raw-big-5"));
        var stream = new NetworkStream(socket);
        Assert.Equal(0x20, await RawPackets.ReadByteAsync(stream));
        var connAckLength = await ReadRemainingLengthAsync(stream);
        await ReadExactlyAsync(stream, connAckLength);

        // PUBLISH announcing 400,000 bytes (over 256 KiB + 64 KiB); no body follows.
        await stream.WriteAsync(PublishHeader(400_000));

        Assert.Equal(0xE0, await RawPackets.ReadByteAsync(stream));
        var length = await ReadRemainingLengthAsync(stream);
        Assert.True(length >= 1);
        Assert.Equal(0x95, await RawPackets.ReadByteAsync(stream));
    }

    [Fact]
    public async Task Oversized_fixed_header_on_mqtt311_closes_the_connection()
    {
        using var socket = await ConnectRawAsync(RawPackets.Connect311("raw-big-311", 60));
        var stream = new NetworkStream(socket);
        Assert.Equal(0x20, await RawPackets.ReadByteAsync(stream));
        await ReadExactlyAsync(stream, 3);

        await stream.WriteAsync(PublishHeader(400_000));

        var buffer = new byte[16];
        var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(BrokerInstance.Timeout);
        Assert.Equal(0, read);
    }

    private async Task<Socket> ConnectRawAsync(byte[] connect)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync("127.0.0.1", Broker.TcpPort);
        await socket.SendAsync(connect);
        return socket;
    }

    private static byte[] Connect5(string clientId)
    {
        var id = Encoding.UTF8.GetBytes(clientId);
        var body = new List<byte> { 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 5, 0x02, 0, 60, 0, (byte)(id.Length >> 8), (byte)id.Length };
        body.AddRange(id);
        var packet = new List<byte> { 0x10, (byte)body.Count };
        packet.AddRange(body);
        return [.. packet];
    }

    private static byte[] PublishHeader(int remainingLength)
    {
        var header = new List<byte> { 0x30 };
        do
        {
            var encoded = (byte)(remainingLength % 128);
            remainingLength /= 128;
            header.Add(remainingLength > 0 ? (byte)(encoded | 0x80) : encoded);
        }
        while (remainingLength > 0);

        // Topic length and the first topic bytes, as a client streaming a large packet would start.
        header.AddRange([0, 1, (byte)'t']);
        return [.. header];
    }

    private static async Task<int> ReadRemainingLengthAsync(Stream stream)
    {
        int value = 0, multiplier = 1, encoded;
        do
        {
            encoded = await RawPackets.ReadByteAsync(stream);
            value += (encoded & 0x7F) * multiplier;
            multiplier *= 128;
        }
        while ((encoded & 0x80) != 0);

        return value;
    }

    private static async Task ReadExactlyAsync(Stream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(BrokerInstance.Timeout);
    }

    private static async Task<T> WaitForAsync<T>(Func<T> read, Func<T, bool> done)
    {
        using var timeout = new CancellationTokenSource(BrokerInstance.Timeout);
        var value = read();
        while (!done(value))
        {
            await Task.Delay(20, timeout.Token);
            value = read();
        }

        return value;
    }
}
