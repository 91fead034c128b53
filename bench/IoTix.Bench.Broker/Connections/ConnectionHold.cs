using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using HdrHistogram;
using IoTix.Bench.Broker.Wire;

namespace IoTix.Bench.Broker.Connections;

internal sealed record HoldResult(
    string Broker,
    int Target,
    int Connected,
    int Failed,
    string? FirstError,
    int SourceAddresses,
    double RampSeconds,
    double ConnectsPerSecond,
    double ConnectP50Ms,
    double ConnectP99Ms,
    long RssBeforeKib,
    long RssAfterKib,
    double RssPerConnectionKib,
    double BrokerCpuMsPerConnect,
    double HoldSeconds,
    int DroppedDuringHold,
    int PingsAnswered,
    bool RoundTripOk,
    double RoundTripMs,
    int BrokerThreads);

/// <summary>
/// SC-002: ramps to N concurrent MQTT connections (spread over source addresses 127.0.0.2.. so no address runs short
/// of ephemeral ports), holds them, then checks that none dropped, that every connection still answers PINGREQ,
/// and that a publish from the last connection reaches a subscription on the first.
/// </summary>
internal sealed class ConnectionHold(BenchSettings settings)
{
    private int _pings;
    private int _dropped;
    private volatile bool _closing;

    public async Task<HoldResult> RunAsync(BrokerTarget target, CancellationToken cancellationToken = default)
    {
        _pings = 0;
        _dropped = 0;
        _closing = false;
        var count = settings.Connections;
        var connections = new HeldConnection?[count];
        var latency = new LongHistogram(60_000_000, 3);
        var failed = 0;
        string? firstError = null;
        var next = -1;
        var rssBefore = target.Process.RssKib();
        var cpuBefore = target.Process.CpuMilliseconds();
        var rampDeadline = Stopwatch.GetTimestamp() + (long)(settings.RampLimitSeconds * Stopwatch.Frequency);
        var start = Stopwatch.GetTimestamp();

        async Task WorkerAsync()
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < count && Stopwatch.GetTimestamp() < rampDeadline)
            {
                var began = Stopwatch.GetTimestamp();
                var (connection, error) = await HeldConnection.TryConnectAsync(target.Tcp, Source(index), $"bench-hold-{index}", this, cancellationToken).ConfigureAwait(false);
                if (connection is null)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, error, null);
                    continue;
                }

                connections[index] = connection;
                var micros = (Stopwatch.GetTimestamp() - began) * 1_000_000 / Stopwatch.Frequency;
                lock (latency)
                {
                    latency.RecordValue(Math.Min(micros, 60_000_000));
                }
            }
        }

        var workers = new Task[settings.ConnectConcurrency];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = Task.Run(WorkerAsync, cancellationToken);
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        var rampSeconds = (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency;
        var cpuRamp = target.Process.CpuMilliseconds() - cpuBefore;
        var connected = 0;
        foreach (var connection in connections)
        {
            connected += connection is null ? 0 : 1;
        }

        Console.WriteLine($"  {target.Name,-9} {connected}/{count} connected in {rampSeconds:F1} s ({failed} failed{(firstError is null ? "" : ": " + firstError)})");
        await Task.Delay(TimeSpan.FromSeconds(settings.HoldSeconds), cancellationToken).ConfigureAwait(false);
        var rssAfter = target.Process.RssKib();
        var threads = target.Process.Threads();
        var droppedDuringHold = Volatile.Read(ref _dropped);

        // Round trip on two held connections: the first subscribes, the last publishes.
        var (roundTripOk, roundTripMs) = await RoundTripAsync(connections, cancellationToken).ConfigureAwait(false);

        // Every held connection must still answer PINGREQ.
        foreach (var connection in connections)
        {
            if (connection is not null)
            {
                await connection.TrySendAsync(MqttWire.PingReq, cancellationToken).ConfigureAwait(false);
            }
        }

        var pingDeadline = Stopwatch.GetTimestamp() + 15 * Stopwatch.Frequency;
        while (Volatile.Read(ref _pings) < connected - Volatile.Read(ref _dropped) && Stopwatch.GetTimestamp() < pingDeadline)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        var pings = Volatile.Read(ref _pings);
        _closing = true;
        foreach (var connection in connections)
        {
            connection?.Close();
        }

        Console.WriteLine($"  {target.Name,-9} held {settings.HoldSeconds} s: dropped {droppedDuringHold}, pings {pings}/{connected}, round trip {(roundTripOk ? $"{roundTripMs:F1} ms" : "FAILED")}, RSS +{(rssAfter - rssBefore) / 1024.0:F0} MiB");
        await Task.Delay(1000, cancellationToken).ConfigureAwait(false);
        return new HoldResult(
            target.Name,
            count,
            connected,
            failed,
            firstError,
            settings.SourceAddresses,
            rampSeconds,
            connected / rampSeconds,
            latency.TotalCount == 0 ? double.NaN : latency.GetValueAtPercentile(50) / 1000.0,
            latency.TotalCount == 0 ? double.NaN : latency.GetValueAtPercentile(99) / 1000.0,
            rssBefore,
            rssAfter,
            connected == 0 ? 0 : (rssAfter - rssBefore) / (double)connected,
            connected == 0 ? 0 : cpuRamp / connected,
            settings.HoldSeconds,
            droppedDuringHold,
            pings,
            roundTripOk,
            roundTripMs,
            threads);
    }

    private IPAddress Source(int index)
    {
        var host = 2 + (index % settings.SourceAddresses);
        return new IPAddress([127, 0, (byte)(host / 256), (byte)(host % 256)]);
    }

    private static async Task<(bool Ok, double Ms)> RoundTripAsync(HeldConnection?[] connections, CancellationToken cancellationToken)
    {
        var first = Array.Find(connections, static c => c is not null);
        var last = Array.FindLast(connections, static c => c is not null);
        if (first is null || last is null || ReferenceEquals(first, last))
        {
            return (false, double.NaN);
        }

        var topic = $"bench/hold/{Environment.ProcessId}";
        if (!await first.TrySendAsync(MqttWire.Subscribe(7, topic, 1), cancellationToken).ConfigureAwait(false)
            || !await first.SubscribedTask.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false))
        {
            return (false, double.NaN);
        }

        var template = MqttWire.PublishTemplate(topic, 1, 100);
        var packet = new byte[template.Length];
        var began = Stopwatch.GetTimestamp();
        template.Write(packet, 1, began, 0, 0, 0);
        if (!await last.TrySendAsync(packet, cancellationToken).ConfigureAwait(false))
        {
            return (false, double.NaN);
        }

        try
        {
            await first.DeliveredTask.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            return (true, (Stopwatch.GetTimestamp() - began) * 1000.0 / Stopwatch.Frequency);
        }
        catch (TimeoutException)
        {
            return (false, double.NaN);
        }
    }

    private sealed class HeldConnection
    {
        private readonly Socket _socket;
        private readonly ConnectionHold _owner;
        private readonly FrameReader _reader = new(512);
        private readonly TaskCompletionSource<bool> _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _delivered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private HeldConnection(Socket socket, ConnectionHold owner)
        {
            _socket = socket;
            _owner = owner;
        }

        public Task<bool> SubscribedTask => _subscribed.Task;

        public Task DeliveredTask => _delivered.Task;

        public static async Task<(HeldConnection? Connection, string? Error)> TryConnectAsync(IPEndPoint broker, IPAddress source, string clientId, ConnectionHold owner, CancellationToken cancellationToken)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(broker, timeout.Token).ConfigureAwait(false);
                await socket.SendAsync(MqttWire.Connect(clientId, 300), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                var connection = new HeldConnection(socket, owner);
                while (true)
                {
                    var read = await socket.ReceiveAsync(connection._reader.FreeSpace(), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        socket.Dispose();
                        return (null, "closed before CONNACK");
                    }

                    connection._reader.Advance(read);
                    if (connection._reader.TryRead(out var header, out var body))
                    {
                        if ((header & 0xF0) != MqttWire.ConnAck || body.Length < 2 || body[1] != 0)
                        {
                            socket.Dispose();
                            return (null, $"CONNACK refused (0x{header:X2})");
                        }

                        break;
                    }
                }

                _ = connection.ReceiveLoopAsync();
                return (connection, null);
            }
            catch (Exception exception) when (exception is SocketException or OperationCanceledException or IOException)
            {
                socket.Dispose();
                return (null, exception is OperationCanceledException ? "timeout (10 s)" : exception.Message);
            }
        }

        public async Task<bool> TrySendAsync(byte[] packet, CancellationToken cancellationToken)
        {
            try
            {
                await _socket.SendAsync(packet, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                return false;
            }
        }

        public void Close()
        {
            try
            {
                _socket.Send(MqttWire.Disconnect);
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                // Dropped already; counted by the receive loop.
            }

            _socket.Dispose();
        }

        private async Task ReceiveLoopAsync()
        {
            try
            {
                while (true)
                {
                    var read = await _socket.ReceiveAsync(_reader.FreeSpace(), SocketFlags.None).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    _reader.Advance(read);
                    while (_reader.TryRead(out var header, out var body))
                    {
                        switch (header & 0xF0)
                        {
                            case MqttWire.PingResp:
                                Interlocked.Increment(ref _owner._pings);
                                break;
                            case MqttWire.SubAck:
                                _subscribed.TrySetResult(body.Length >= 3 && body[2] <= 2);
                                break;
                            case MqttWire.Publish:
                                MqttWire.PublishPayload(header, body, out var packetId);
                                if (packetId != 0)
                                {
                                    var ack = new byte[4];
                                    MqttWire.WritePubAck(ack, packetId);
                                    _ = _socket.Send(ack);
                                }

                                _delivered.TrySetResult();
                                break;
                        }
                    }
                }
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                // Closed: counted below.
            }

            if (!_owner._closing)
            {
                Interlocked.Increment(ref _owner._dropped);
            }
        }
    }
}
