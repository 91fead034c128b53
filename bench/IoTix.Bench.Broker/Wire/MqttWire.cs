using System.Buffers.Binary;
using System.Text;

namespace IoTix.Bench.Broker.Wire;

/// <summary>
/// The few MQTT 3.1.1 packets the lean load generator needs, written straight into byte arrays: the generator must
/// cost far less CPU per message than the broker under test, so no client library sits between it and the socket.
/// </summary>
internal static class MqttWire
{
    public const byte ConnAck = 0x20;
    public const byte Publish = 0x30;
    public const byte PubAck = 0x40;
    public const byte SubAck = 0x90;
    public const byte PingResp = 0xD0;

    /// <summary>Payload layout: send timestamp (Stopwatch ticks), step, publisher index, sequence; padded to the payload size.</summary>
    public const int TimestampOffset = 0;
    public const int StepOffset = 8;
    public const int PublisherOffset = 12;
    public const int SequenceOffset = 16;
    public const int MinPayload = 24;

    public static readonly byte[] PingReq = [0xC0, 0x00];
    public static readonly byte[] Disconnect = [0xE0, 0x00];

    public static byte[] Connect(string clientId, ushort keepAliveSeconds)
    {
        var id = Encoding.UTF8.GetBytes(clientId);
        var remaining = 10 + 2 + id.Length;
        var packet = new byte[1 + LengthOfRemainingLength(remaining) + remaining];
        var at = 0;
        packet[at++] = 0x10;
        at += WriteRemainingLength(packet.AsSpan(at), remaining);
        ReadOnlySpan<byte> header = [0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x04, 0x02];
        header.CopyTo(packet.AsSpan(at));
        at += header.Length;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at), keepAliveSeconds);
        at += 2;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at), (ushort)id.Length);
        at += 2;
        id.CopyTo(packet.AsSpan(at));
        return packet;
    }

    public static byte[] Subscribe(ushort packetId, string filter, int qos)
    {
        var topic = Encoding.UTF8.GetBytes(filter);
        var remaining = 2 + 2 + topic.Length + 1;
        var packet = new byte[1 + LengthOfRemainingLength(remaining) + remaining];
        var at = 0;
        packet[at++] = 0x82;
        at += WriteRemainingLength(packet.AsSpan(at), remaining);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at), packetId);
        at += 2;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at), (ushort)topic.Length);
        at += 2;
        topic.CopyTo(packet.AsSpan(at));
        at += topic.Length;
        packet[at] = (byte)qos;
        return packet;
    }

    /// <summary>A PUBLISH template for one topic; <see cref="PublishTemplate.Write"/> stamps id, timestamp and sequence.</summary>
    public static PublishTemplate PublishTemplate(string topic, int qos, int payloadSize)
    {
        var name = Encoding.UTF8.GetBytes(topic);
        var remaining = 2 + name.Length + (qos > 0 ? 2 : 0) + payloadSize;
        var packet = new byte[1 + LengthOfRemainingLength(remaining) + remaining];
        var at = 0;
        packet[at++] = (byte)(Publish | (qos << 1));
        at += WriteRemainingLength(packet.AsSpan(at), remaining);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at), (ushort)name.Length);
        at += 2;
        name.CopyTo(packet.AsSpan(at));
        at += name.Length;
        var packetIdOffset = qos > 0 ? at : -1;
        at += qos > 0 ? 2 : 0;
        for (var i = at + MinPayload; i < packet.Length; i++)
        {
            packet[i] = (byte)'x';
        }

        return new PublishTemplate(packet, packetIdOffset, at);
    }

    public static void WritePubAck(Span<byte> destination, ushort packetId)
    {
        destination[0] = PubAck;
        destination[1] = 0x02;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], packetId);
    }

    public static int LengthOfRemainingLength(int value) => value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;

    public static int WriteRemainingLength(Span<byte> destination, int value)
    {
        var i = 0;
        do
        {
            var digit = (byte)(value % 128);
            value /= 128;
            if (value > 0)
            {
                digit |= 0x80;
            }

            destination[i++] = digit;
        }
        while (value > 0);
        return i;
    }

    /// <summary>Splits a PUBLISH body into packet id (0 for QoS 0) and payload.</summary>
    public static ReadOnlySpan<byte> PublishPayload(byte header, ReadOnlySpan<byte> body, out ushort packetId)
    {
        var topicLength = BinaryPrimitives.ReadUInt16BigEndian(body);
        var at = 2 + topicLength;
        if ((header & 0x06) != 0)
        {
            packetId = BinaryPrimitives.ReadUInt16BigEndian(body[at..]);
            at += 2;
        }
        else
        {
            packetId = 0;
        }

        return body[at..];
    }
}

/// <summary>One pre-built PUBLISH packet; copies are stamped per message.</summary>
internal sealed class PublishTemplate(byte[] packet, int packetIdOffset, int payloadOffset)
{
    public int Length => packet.Length;

    public void Write(Span<byte> destination, ushort packetId, long timestamp, int step, int publisher, long sequence)
    {
        packet.CopyTo(destination);
        if (packetIdOffset >= 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[packetIdOffset..], packetId);
        }

        var payload = destination[payloadOffset..];
        BinaryPrimitives.WriteInt64LittleEndian(payload[MqttWire.TimestampOffset..], timestamp);
        BinaryPrimitives.WriteInt32LittleEndian(payload[MqttWire.StepOffset..], step);
        BinaryPrimitives.WriteInt32LittleEndian(payload[MqttWire.PublisherOffset..], publisher);
        BinaryPrimitives.WriteInt64LittleEndian(payload[MqttWire.SequenceOffset..], sequence);
    }
}

/// <summary>Accumulates received bytes and hands out complete MQTT packets (fixed header byte + body).</summary>
internal sealed class FrameReader(int capacity)
{
    private readonly byte[] _buffer = new byte[capacity];
    private int _start;
    private int _end;

    /// <summary>Free space to receive into (compacts first).</summary>
    public Memory<byte> FreeSpace()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        return _buffer.AsMemory(_end);
    }

    public ArraySegment<byte> FreeSegment()
    {
        FreeSpace();
        return new ArraySegment<byte>(_buffer, _end, _buffer.Length - _end);
    }

    public void Advance(int count) => _end += count;

    public bool TryRead(out byte header, out ReadOnlySpan<byte> body)
    {
        header = 0;
        body = default;
        var available = _end - _start;
        if (available < 2)
        {
            return false;
        }

        var length = 0;
        var multiplier = 1;
        var at = _start + 1;
        byte digit;
        do
        {
            if (at >= _end)
            {
                return false;
            }

            digit = _buffer[at++];
            length += (digit & 0x7F) * multiplier;
            multiplier *= 128;
        }
        while ((digit & 0x80) != 0);

        if (at + length > _end)
        {
            if (at + length - _start > _buffer.Length)
            {
                throw new InvalidDataException($"Packet of {length} bytes exceeds the reader buffer of {_buffer.Length} bytes.");
            }

            return false;
        }

        header = _buffer[_start];
        body = new ReadOnlySpan<byte>(_buffer, at, length);
        _start = at + length;
        return true;
    }
}
