using System.Net;
using System.Net.Sockets;
using System.Text;
using IoTix.Core.Protocols;
using IoTix.Core.Protocols.Mqtt;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

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
        var metrics = adapter.GetMetrics();
        Assert.Equal(3, metrics.MessagesDropped); // m4 refused, m2 and m3 unsent at the loss
        Assert.Equal((1, 2, 0), (metrics.Failures.QueueFull, metrics.Failures.Unsent, metrics.Failures.Unacknowledged));
    }

    /// <summary>A connected device (QoS 1, clean session, MQTT 3.1.1) and the server side of its socket.</summary>
    private sealed class Peer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private TcpClient? _server;

        public MqttProtocolAdapter Adapter { get; private set; } = null!;

        public IDeviceConnection Connection { get; private set; } = null!;

        public PublishLatencyHistogram GroupLatency { get; } = new();

        public NetworkStream Stream => _server!.GetStream();

        public static async Task<Peer> ConnectAsync(MqttAdapterOptions options, TimeProvider time)
        {
            var peer = new Peer();
            peer._listener.Start();
            int port = ((IPEndPoint)peer._listener.LocalEndpoint).Port;
            peer.Adapter = new MqttProtocolAdapter(Options.Create(options), new EndpointResolver(Options.Create(new EndpointOptions())), time, NullLogger<MqttProtocolAdapter>.Instance);
            peer.Connection = peer.Adapter.CreateConnection(new DeviceConnectionContext
            {
                DeviceId = "drain-0", Index = 0, Model = MqttModels.Sensor(port, "\"mqttVersion\": \"3.1.1\", \"qos\": 1"), ClientId = "drain-0", Events = new Events(),
                PublishLatency = peer.GroupLatency,
            });
            var connecting = peer.Connection.ConnectAsync().AsTask();
            peer._server = await peer._listener.AcceptTcpClientAsync().WaitAsync(Timeout);
            await ReadPacketAsync(peer.Stream); // CONNECT
            await peer.Stream.WriteAsync(new byte[] { 0x20, 0x02, 0x00, 0x00 });
            Assert.True((await connecting.WaitAsync(Timeout)).Succeeded);
            return peer;
        }

        public async ValueTask DisposeAsync()
        {
            await Connection.DisposeAsync();
            Adapter.Dispose();
            _server?.Dispose();
            _listener.Stop();
        }
    }

    [Fact]
    public async Task Graceful_disconnect_waits_for_the_PUBACK_before_DISCONNECT_and_counts_nothing_as_dropped()
    {
        await using var peer = await Peer.ConnectAsync(new MqttAdapterOptions { DisconnectDrainMs = 30_000 }, TimeProvider.System);
        Assert.Equal(PublishStatus.Accepted, peer.Connection.TryPublish("t/drain", "m1"u8, 1, false));
        var publish = await ReadPacketAsync(peer.Stream);

        var disconnecting = peer.Connection.DisconnectAsync(DisconnectMode.Graceful).AsTask();
        bool completedBeforeAck = disconnecting.IsCompleted;
        await peer.Stream.WriteAsync(new byte[] { 0x40, 0x02, publish.Body[^4], publish.Body[^3] }); // PUBACK with the packet id
        var next = await ReadPacketAsync(peer.Stream);
        await disconnecting.WaitAsync(Timeout);

        Assert.False(completedBeforeAck);
        Assert.Equal(0xE0, next.Header); // DISCONNECT only after the PUBACK
        var metrics = peer.Adapter.GetMetrics();
        Assert.Equal(0, metrics.MessagesDropped);
        Assert.Equal(default, metrics.Failures);
        Assert.Equal(1, metrics.PublishLatency!.Count);
        Assert.Equal(1, peer.GroupLatency.Count);
    }

    [Fact]
    public async Task Graceful_disconnect_gives_up_after_the_drain_time_and_counts_the_message_unacknowledged()
    {
        await using var peer = await Peer.ConnectAsync(new MqttAdapterOptions { DisconnectDrainMs = 200 }, TimeProvider.System);
        peer.Connection.TryPublish("t/drain", "m1"u8, 1, false);
        await ReadPacketAsync(peer.Stream);

        await peer.Connection.DisconnectAsync(DisconnectMode.Graceful).AsTask().WaitAsync(Timeout);
        var next = await ReadPacketAsync(peer.Stream);

        Assert.Equal(0xE0, next.Header);
        var metrics = peer.Adapter.GetMetrics();
        Assert.Equal(1, metrics.Failures.Unacknowledged);
        Assert.Equal(1, metrics.MessagesDropped);
        Assert.Equal(0, metrics.PublishLatency!.Count);
    }

    [Fact]
    public async Task Publish_latency_is_the_time_from_the_write_to_the_PUBACK_on_the_adapter_clock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using var peer = await Peer.ConnectAsync(new MqttAdapterOptions(), time);
        peer.Connection.TryPublish("t/latency", "m1"u8, 1, false);
        var publish = await ReadPacketAsync(peer.Stream);

        time.Advance(TimeSpan.FromMilliseconds(25));
        await peer.Stream.WriteAsync(new byte[] { 0x40, 0x02, publish.Body[^4], publish.Body[^3] });
        await WaitUntilAsync(() => peer.GroupLatency.Count == 1);

        var latency = peer.Adapter.GetMetrics().PublishLatency!;
        Assert.Equal((1L, 25.0, 25.0), (latency.Count, latency.P99Ms, latency.MaxMs));
        Assert.Equal(25.0, peer.GroupLatency.Snapshot().P50Ms);
    }

    [Fact]
    public async Task Publishing_while_not_connected_is_counted_by_reason()
    {
        await using var peer = await Peer.ConnectAsync(new MqttAdapterOptions(), TimeProvider.System);
        await peer.Connection.DisconnectAsync(DisconnectMode.Abrupt);

        var status = peer.Connection.TryPublish("t/x", "m"u8, 1, false);

        Assert.Equal(PublishStatus.NotConnected, status);
        Assert.Equal(1, peer.Adapter.GetMetrics().Failures.NotConnected);
        Assert.Equal(0, peer.Adapter.GetMetrics().MessagesDropped);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(10);
        }
    }
}
