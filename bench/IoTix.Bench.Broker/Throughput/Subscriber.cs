using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using HdrHistogram;
using IoTix.Bench.Broker.Wire;

namespace IoTix.Bench.Broker.Throughput;

/// <summary>
/// One subscribing connection on its own thread: counts every PUBLISH per step, records end-to-end latency from the
/// send timestamp in the payload, and acknowledges QoS 1 deliveries in batches (one send per receive).
/// </summary>
internal sealed class Subscriber : IDisposable
{
    public const long HighestLatencyMicros = 120_000_000;

    private readonly LeanClient _client;
    private readonly long[] _received;
    private readonly LongHistogram[] _latency;
    private readonly Thread _thread;
    private readonly byte[] _acks = new byte[4 * 4096];
    private volatile bool _stopping;
    private volatile bool _closed;

    public Subscriber(LeanClient client, int steps)
    {
        _client = client;
        _received = new long[steps];
        _latency = new LongHistogram[steps];
        for (var i = 0; i < steps; i++)
        {
            _latency[i] = new LongHistogram(HighestLatencyMicros, 3);
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "bench-subscriber" };
        _client.Socket.ReceiveTimeout = 250;
        _thread.Start();
    }

    public bool Closed => _closed;

    public long Received(int step) => Volatile.Read(ref _received[step]);

    public LongHistogram Latency(int step) => _latency[step];

    private void Run()
    {
        var reader = _client.Reader;
        var socket = _client.Socket;
        var ticksPerMicro = Stopwatch.Frequency / 1_000_000.0;
        while (!_stopping)
        {
            int read;
            try
            {
                var segment = reader.FreeSegment();
                read = socket.Receive(segment.Array!, segment.Offset, segment.Count, SocketFlags.None);
            }
            catch (SocketException exception) when (exception.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                continue;
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                break;
            }

            if (read == 0)
            {
                break;
            }

            reader.Advance(read);
            var ackBytes = 0;
            var now = Stopwatch.GetTimestamp();
            while (reader.TryRead(out var header, out var body))
            {
                if ((header & 0xF0) != MqttWire.Publish)
                {
                    continue;
                }

                var payload = MqttWire.PublishPayload(header, body, out var packetId);
                var sentAt = BinaryPrimitives.ReadInt64LittleEndian(payload);
                var step = BinaryPrimitives.ReadInt32LittleEndian(payload[MqttWire.StepOffset..]);
                if ((uint)step < (uint)_received.Length)
                {
                    var micros = (long)((now - sentAt) / ticksPerMicro);
                    _latency[step].RecordValue(Math.Clamp(micros, 0, HighestLatencyMicros));
                    Volatile.Write(ref _received[step], _received[step] + 1);
                }

                if (packetId != 0)
                {
                    MqttWire.WritePubAck(_acks.AsSpan(ackBytes), packetId);
                    ackBytes += 4;
                    if (ackBytes == _acks.Length)
                    {
                        SendAll(socket, _acks, ackBytes);
                        ackBytes = 0;
                    }
                }
            }

            if (ackBytes > 0 && !SendAll(socket, _acks, ackBytes))
            {
                break;
            }
        }

        _closed = !_stopping;
    }

    private static bool SendAll(Socket socket, byte[] buffer, int count)
    {
        try
        {
            var sent = 0;
            while (sent < count)
            {
                sent += socket.Send(buffer, sent, count - sent, SocketFlags.None);
            }

            return true;
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join(TimeSpan.FromSeconds(2));
        _client.Dispose();
        _thread.Join(TimeSpan.FromSeconds(2));
    }
}
