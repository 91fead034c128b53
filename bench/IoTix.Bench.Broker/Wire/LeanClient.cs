using System.Net;
using System.Net.Sockets;

namespace IoTix.Bench.Broker.Wire;

/// <summary>A blocking MQTT 3.1.1 connection for the throughput phases: connect, subscribe, then raw socket I/O.</summary>
internal sealed class LeanClient : IDisposable
{
    private LeanClient(Socket socket, FrameReader reader)
    {
        Socket = socket;
        Reader = reader;
    }

    public Socket Socket { get; }

    public FrameReader Reader { get; }

    public static LeanClient Connect(IPEndPoint broker, string clientId, TimeSpan timeout)
    {
        var socket = new Socket(broker.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            ReceiveBufferSize = 1 << 20,
            SendBufferSize = 1 << 20,
            ReceiveTimeout = (int)timeout.TotalMilliseconds,
            SendTimeout = (int)timeout.TotalMilliseconds,
        };
        try
        {
            socket.Connect(broker);
            socket.Send(MqttWire.Connect(clientId, 300));
            var client = new LeanClient(socket, new FrameReader(1 << 18));
            var (header, code) = client.ReadControlPacket();
            if (header != MqttWire.ConnAck || code != 0)
            {
                throw new InvalidOperationException($"{clientId}: expected CONNACK 0, got packet 0x{header:X2} code {code}.");
            }

            return client;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Subscribe(string filter, int qos)
    {
        Socket.Send(MqttWire.Subscribe(1, filter, qos));
        var (header, code) = ReadControlPacket();
        if (header != MqttWire.SubAck || code != qos)
        {
            throw new InvalidOperationException($"Subscribe {filter}: expected SUBACK {qos}, got packet 0x{header:X2} code {code}.");
        }
    }

    /// <summary>Reads one packet during the handshake: its type and its last body byte (the return code).</summary>
    private (byte Header, int Code) ReadControlPacket()
    {
        while (true)
        {
            if (Reader.TryRead(out var header, out var body))
            {
                return ((byte)(header & 0xF0), body.IsEmpty ? -1 : body[^1]);
            }

            var segment = Reader.FreeSegment();
            var read = Socket.Receive(segment.Array!, segment.Offset, segment.Count, SocketFlags.None);
            if (read == 0)
            {
                throw new IOException("Broker closed the connection during the handshake.");
            }

            Reader.Advance(read);
        }
    }

    public void Dispose()
    {
        try
        {
            Socket.Send(MqttWire.Disconnect);
            Socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already closed by the broker or by a failed step.
        }
        catch (ObjectDisposedException)
        {
            // Already disposed.
        }

        Socket.Dispose();
    }
}
