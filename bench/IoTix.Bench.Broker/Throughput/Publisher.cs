using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using IoTix.Bench.Broker.Wire;

namespace IoTix.Bench.Broker.Throughput;

/// <summary>
/// One publishing connection. <see cref="Send"/> paces messages on schedule (batches stamped with the current
/// time, one socket send per batch); at QoS 1 a second thread reads PUBACKs and at most
/// <see cref="Window"/> messages are unacknowledged.
/// </summary>
internal sealed class Publisher : IDisposable
{
    public const int Window = 10_000;
    private const int MaxBatch = 512;

    private readonly LeanClient _client;
    private readonly int _index;
    private readonly int _qos;
    private readonly PublishTemplate _template;
    private readonly byte[] _buffer;
    private readonly Thread? _ackThread;
    private long _sequence;
    private long _acked;
    private volatile bool _stopping;
    private volatile bool _failed;

    public Publisher(LeanClient client, int index, string topic, int qos, int payloadSize)
    {
        _client = client;
        _index = index;
        _qos = qos;
        _template = MqttWire.PublishTemplate(topic, qos, payloadSize);
        _buffer = new byte[MaxBatch * _template.Length];
        if (qos > 0)
        {
            _client.Socket.ReceiveTimeout = 250;
            _ackThread = new Thread(ReadAcks) { IsBackground = true, Name = "bench-puback" };
            _ackThread.Start();
        }
    }

    public long Sequence => Volatile.Read(ref _sequence);

    public long Acked => Volatile.Read(ref _acked);

    public bool Failed => _failed;

    /// <summary>Sends <paramref name="count"/> messages at <paramref name="rate"/> per second; gives up after <paramref name="giveUp"/>.</summary>
    public (long Sent, double Seconds) Send(int step, double rate, long count, TimeSpan giveUp)
    {
        var start = Stopwatch.GetTimestamp();
        var frequency = (double)Stopwatch.Frequency;
        var giveUpTicks = giveUp.TotalSeconds * frequency;
        long sent = 0;
        while (sent < count && !_failed)
        {
            var now = Stopwatch.GetTimestamp();
            var elapsedTicks = now - start;
            if (elapsedTicks > giveUpTicks)
            {
                break;
            }

            var due = Math.Min(count, (long)(rate * elapsedTicks / frequency) + 1) - sent;
            if (due <= 0)
            {
                Thread.Sleep(1);
                continue;
            }

            var batch = (int)Math.Min(due, MaxBatch);
            if (_qos > 0)
            {
                var room = Window - (_sequence - Volatile.Read(ref _acked));
                if (room <= 0)
                {
                    Thread.Sleep(0);
                    continue;
                }

                batch = (int)Math.Min(batch, room);
            }

            var length = _template.Length;
            for (var i = 0; i < batch; i++)
            {
                var sequence = _sequence++;
                _template.Write(_buffer.AsSpan(i * length, length), (ushort)((sequence % 65_535) + 1), now, step, _index, sequence);
            }

            if (!SendAll(batch * length))
            {
                _failed = true;
                break;
            }

            sent += batch;
        }

        return (sent, (Stopwatch.GetTimestamp() - start) / frequency);
    }

    private bool SendAll(int count)
    {
        try
        {
            var sent = 0;
            while (sent < count)
            {
                sent += _client.Socket.Send(_buffer, sent, count - sent, SocketFlags.None);
            }

            return true;
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    private void ReadAcks()
    {
        var reader = _client.Reader;
        while (!_stopping)
        {
            int read;
            try
            {
                var segment = reader.FreeSegment();
                read = _client.Socket.Receive(segment.Array!, segment.Offset, segment.Count, SocketFlags.None);
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
            long acks = 0;
            while (reader.TryRead(out var header, out var body))
            {
                if ((header & 0xF0) == MqttWire.PubAck && body.Length >= 2 && BinaryPrimitives.ReadUInt16BigEndian(body) != 0)
                {
                    acks++;
                }
            }

            Volatile.Write(ref _acked, _acked + acks);
        }

        if (!_stopping)
        {
            _failed = true;
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _ackThread?.Join(TimeSpan.FromSeconds(2));
        _client.Dispose();
        _ackThread?.Join(TimeSpan.FromSeconds(2));
    }
}
