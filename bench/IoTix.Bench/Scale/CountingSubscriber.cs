using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace IoTix.Bench.Scale;

/// <summary>
/// A lean counting subscriber: one MQTT 3.1.1 connection per broker (raw socket, one blocking
/// receive thread each), subscribed to a filter at QoS 0 or 1, counting PUBLISH packets (and DUP
/// ones) and acknowledging QoS 1 with PUBACKs batched per receive. Every second it rewrites a status
/// file (<c>unixMs total dups perBroker...</c>) and appends the same line to its output, so a
/// script can read totals at any moment and rates over any window.
/// </summary>
internal static class CountingSubscriber
{
    public static async Task<int> RunAsync(IReadOnlyList<string> brokers, string filter, int qos, int seconds, string? statusFile, TextWriter output)
    {
        var endpoints = new List<IPEndPoint>();
        foreach (var b in brokers)
        {
            endpoints.Add(IPEndPoint.Parse(b));
        }

        var counters = new Counter[endpoints.Count];
        var threads = new List<Thread>();
        for (int i = 0; i < endpoints.Count; i++)
        {
            var counter = counters[i] = new Counter();
            var socket = Connect(endpoints[i], $"count-sub-{Environment.ProcessId}-{i}", filter, qos);
            var thread = new Thread(() => Receive(socket, counter)) { IsBackground = true, Name = $"sub-{i}" };
            thread.Start();
            threads.Add(thread);
        }

        output.WriteLine($"# subscribed to '{filter}' QoS {qos} on {string.Join(", ", brokers)}");
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            await Task.Delay(1000);
            long total = 0, dups = 0;
            var sb = new StringBuilder();
            foreach (var c in counters)
            {
                long n = Volatile.Read(ref c.Messages);
                total += n;
                dups += Volatile.Read(ref c.Duplicates);
                sb.Append(' ').Append(n.ToString(CultureInfo.InvariantCulture));
                if (c.Error is { } error)
                {
                    sb.Append("(error: ").Append(error).Append(')');
                }
            }

            var line = string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} {total} {dups}{sb}");
            output.WriteLine(line);
            output.Flush();
            if (statusFile is not null)
            {
                var tmp = statusFile + ".tmp";
                File.WriteAllText(tmp, line + Environment.NewLine);
                File.Move(tmp, statusFile, overwrite: true);
            }
        }

        return 0;
    }

    private static Socket Connect(IPEndPoint broker, string clientId, string filter, int qos)
    {
        var socket = new Socket(broker.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 4 << 20 };
        socket.Connect(broker);
        var id = Encoding.UTF8.GetBytes(clientId);
        var topic = Encoding.UTF8.GetBytes(filter);
        var connect = new List<byte> { 0x10, (byte)(12 + id.Length), 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 2, 0x01, 0x2C, 0, (byte)id.Length };
        connect.AddRange(id);
        socket.Send(connect.ToArray());
        var subscribe = new List<byte> { 0x82, (byte)(2 + 2 + topic.Length + 1), 0, 1, 0, (byte)topic.Length };
        subscribe.AddRange(topic);
        subscribe.Add((byte)qos);
        var buffer = new byte[64];
        int got = 0;
        while (got < 4)
        {
            got += socket.Receive(buffer, got, 4 - got, SocketFlags.None);
        }

        if (buffer[0] != 0x20 || buffer[3] != 0)
        {
            throw new InvalidOperationException($"{broker}: CONNACK refused ({buffer[3]})");
        }

        socket.Send(subscribe.ToArray());
        got = 0;
        while (got < 5)
        {
            got += socket.Receive(buffer, got, 5 - got, SocketFlags.None);
        }

        if (buffer[0] != 0x90 || buffer[4] != qos)
        {
            throw new InvalidOperationException($"{broker}: SUBACK {buffer[4]}");
        }

        return socket;
    }

    /// <summary>Parses packets from the stream, counts PUBLISH, sends the PUBACKs of each receive in one send.</summary>
    private static void Receive(Socket socket, Counter counter)
    {
        var buffer = new byte[1 << 20];
        var acks = new byte[1 << 18];
        int start = 0, end = 0;
        long keepAliveAt = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 100);
        socket.ReceiveTimeout = 10_000;
        try
        {
            while (true)
            {
                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }

                int read;
                try
                {
                    read = socket.Receive(buffer, end, buffer.Length - end, SocketFlags.None);
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut)
                {
                    read = -1;
                }

                if (read == 0)
                {
                    counter.Error = "broker closed the connection";
                    return;
                }

                if (read > 0)
                {
                    end += read;
                }

                int ackLength = 0;
                long messages = 0, dups = 0;
                while (end - start >= 2)
                {
                    int length = 0, multiplier = 1, at = start + 1;
                    byte digit;
                    bool complete = true;
                    do
                    {
                        if (at >= end)
                        {
                            complete = false;
                            break;
                        }

                        digit = buffer[at++];
                        length += (digit & 0x7F) * multiplier;
                        multiplier *= 128;
                    }
                    while ((digit & 0x80) != 0);

                    if (!complete || at + length > end)
                    {
                        break;
                    }

                    byte header = buffer[start];
                    if ((header & 0xF0) == 0x30)
                    {
                        messages++;
                        if ((header & 0x08) != 0)
                        {
                            dups++;
                        }

                        if ((header & 0x06) != 0)
                        {
                            int topicLength = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(at));
                            acks[ackLength] = 0x40;
                            acks[ackLength + 1] = 2;
                            acks[ackLength + 2] = buffer[at + 2 + topicLength];
                            acks[ackLength + 3] = buffer[at + 3 + topicLength];
                            ackLength += 4;
                            if (ackLength == acks.Length)
                            {
                                socket.Send(acks, 0, ackLength, SocketFlags.None);
                                ackLength = 0;
                            }
                        }
                    }

                    start = at + length;
                }

                if (ackLength > 0)
                {
                    socket.Send(acks, 0, ackLength, SocketFlags.None);
                }

                Interlocked.Add(ref counter.Messages, messages);
                Interlocked.Add(ref counter.Duplicates, dups);
                if (Stopwatch.GetTimestamp() > keepAliveAt)
                {
                    socket.Send([0xC0, 0x00]);
                    keepAliveAt = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 100);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            counter.Error = ex.Message;
        }
    }

    private sealed class Counter
    {
        public long Messages;
        public long Duplicates;
        public volatile string? Error;
    }
}
