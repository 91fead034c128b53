using System.Net;
using System.Net.Sockets;
using System.Text;
using IoTix.Core.Protocols;
using IoTix.Core.Protocols.Mqtt;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace IoTix.Tests.Core.Protocols.Mqtt;

/// <summary>One connection against a scripted MQTT 3.1.1 server on loopback: the outbound bound, the inflight window and retransmission.</summary>
public sealed class MqttConnectionScriptedPeerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private sealed class Events : IDeviceConnectionEvents
    {
        public TaskCompletionSource<(string Reason, bool Reconnect)> Lost { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void CommandReceived(string commandName, ReadOnlySpan<byte> payload)
        {
        }

        public void ConnectionLost(string reason) => ConnectionLost(reason, false);

        public void ConnectionLost(string reason, bool reconnect) => Lost.TrySetResult((reason, reconnect));
    }

    private static async Task<(byte Header, byte[] Body)> ReadPacketAsync(NetworkStream stream)
    {
        var one = new byte[1];
        await stream.ReadExactlyAsync(one).AsTask().WaitAsync(Timeout);
        byte header = one[0];
        int length = 0;
        for (int shift = 0; ; shift += 7)
        {
            await stream.ReadExactlyAsync(one).AsTask().WaitAsync(Timeout);
            length |= (one[0] & 0x7F) << shift;
            if ((one[0] & 0x80) == 0)
            {
                break;
            }
        }

        var body = new byte[length];
        await stream.ReadExactlyAsync(body).AsTask().WaitAsync(Timeout);
        return (header, body);
    }

    [Fact]
    public async Task Full_window_queues_to_the_bound_and_a_persistent_session_resends_the_unacknowledged_publish_with_DUP()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var options = new MqttAdapterOptions { InflightWindow = 1, Reconnect = new MqttReconnectOptions { InitialDelayMs = 10, MaxDelayMs = 20 } };
        using var adapter = new MqttProtocolAdapter(Options.Create(options), new EndpointResolver(Options.Create(new EndpointOptions())), TimeProvider.System, NullLogger<MqttProtocolAdapter>.Instance);
        var events = new Events();
        var model = MqttModels.Sensor(port, "\"mqttVersion\": \"3.1.1\", \"cleanSession\": false, \"qos\": 1");
        await using var connection = adapter.CreateConnection(new DeviceConnectionContext
        {
            DeviceId = "peer-0", Index = 0, Model = model, ClientId = "peer-0", Events = events, OutboundQueueLimit = 2, OutboundOverflow = OutboundOverflow.DropNewest,
        });

        var connecting = connection.ConnectAsync().AsTask();
        using (var first = await listener.AcceptTcpClientAsync().WaitAsync(Timeout))
        {
            var stream = first.GetStream();
            var connect = await ReadPacketAsync(stream);
            await stream.WriteAsync(new byte[] { 0x20, 0x02, 0x00, 0x00 });
            Assert.True((await connecting.WaitAsync(Timeout)).Succeeded);

            Assert.Equal(PublishStatus.Accepted, connection.TryPublish("t/peer", "m1"u8, 1, false));
            var publish = await ReadPacketAsync(stream);
            var statuses = new[]
            {
                connection.TryPublish("t/peer", "m2"u8, 1, false),
                connection.TryPublish("t/peer", "m3"u8, 1, false),
                connection.TryPublish("t/peer", "m4"u8, 1, false),
            };

            Assert.Equal(0x10, connect.Header);
            Assert.Equal(0, connect.Body[7] & 0x02); // clean session off
            Assert.Equal(0x32, publish.Header); // QoS 1, no DUP
            Assert.Equal([PublishStatus.Accepted, PublishStatus.Accepted, PublishStatus.QueueFull], statuses);
            first.Client.LingerState = new LingerOption(true, 0);
        }

        var lost = await events.Lost.Task.WaitAsync(Timeout);
        await connection.DisconnectAsync(DisconnectMode.Abrupt); // what the engine does on a reported loss
        var reconnecting = connection.ConnectAsync().AsTask();
        using var second = await listener.AcceptTcpClientAsync().WaitAsync(Timeout);
        var stream2 = second.GetStream();
        await ReadPacketAsync(stream2);
        await stream2.WriteAsync(new byte[] { 0x20, 0x02, 0x01, 0x00 }); // session present
        var resent = await ReadPacketAsync(stream2);

        Assert.True(lost.Reconnect);
        Assert.True((await reconnecting.WaitAsync(Timeout)).Succeeded);
        Assert.Equal(0x3A, resent.Header); // QoS 1 with DUP [MQTT-3.3.1-1]
        Assert.Equal("m1", Encoding.UTF8.GetString(resent.Body.AsSpan(resent.Body.Length - 2)));
        Assert.Equal(3, adapter.GetMetrics().MessagesDropped); // m4 refused, m2 and m3 unsent at the loss
    }
}
