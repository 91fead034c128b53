using System.Buffers.Binary;
using System.Text;

namespace IoTix.Core.Protocols.Mqtt;

/// <summary>MQTT control packet types (the fixed header's upper four bits).</summary>
internal enum MqttPacketType : byte
{
    Connect = 1,
    ConnAck = 2,
    Publish = 3,
    PubAck = 4,
    PubRec = 5,
    PubRel = 6,
    PubComp = 7,
    Subscribe = 8,
    SubAck = 9,
    PingReq = 12,
    PingResp = 13,
    Disconnect = 14,
    Auth = 15,
}

/// <summary>MQTT 5 property identifiers the client writes or reads.</summary>
internal static class MqttProperty
{
    public const byte PayloadFormatIndicator = 0x01;
    public const byte MessageExpiryInterval = 0x02;
    public const byte ContentType = 0x03;
    public const byte ResponseTopic = 0x08;
    public const byte CorrelationData = 0x09;
    public const byte SessionExpiryInterval = 0x11;
    public const byte AssignedClientIdentifier = 0x12;
    public const byte ServerKeepAlive = 0x13;
    public const byte ReasonString = 0x1F;
    public const byte WillDelayInterval = 0x18;
    public const byte ReceiveMaximum = 0x21;
    public const byte TopicAliasMaximum = 0x22;
    public const byte TopicAlias = 0x23;
    public const byte MaximumQos = 0x24;
    public const byte RetainAvailable = 0x25;
    public const byte UserProperty = 0x26;
    public const byte MaximumPacketSize = 0x27;

    /// <summary>Wire size of a property's value (excluding the id), or -1 when it is length-prefixed, -2 a variable byte integer, -3 a string pair.</summary>
    public static int FixedSize(byte id) => id switch
    {
        0x01 or 0x17 or 0x19 or 0x24 or 0x25 or 0x28 or 0x29 or 0x2A => 1,
        0x13 or 0x21 or 0x22 or 0x23 => 2,
        0x02 or 0x11 or 0x18 or 0x27 => 4,
        0x0B => -2,
        0x26 => -3,
        0x03 or 0x08 or 0x09 or 0x12 or 0x15 or 0x16 or 0x1A or 0x1C or 0x1F => -1,
        _ => 0,
    };
}

/// <summary>
/// Encoding of the packets an MQTT client sends, into caller-provided spans (pooled buffers):
/// no allocation. Sizes first (<c>...Size</c>), then <c>Write...</c>.
/// </summary>
internal static class MqttPacketWriter
{
    /// <summary>Largest remaining length MQTT can express (four variable-byte-integer bytes) [MQTT-1.5.5].</summary>
    public const int MaxRemainingLength = 268_435_455;

    public static int VarIntSize(int value) => value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;

    public static int WriteVarInt(Span<byte> span, int value)
    {
        int i = 0;
        do
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            if (value > 0)
            {
                b |= 0x80;
            }

            span[i++] = b;
        }
        while (value > 0);
        return i;
    }

    public static int WriteUInt16(Span<byte> span, int value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)value);
        return 2;
    }

    public static int WriteString(Span<byte> span, string value)
    {
        int n = Encoding.UTF8.GetBytes(value, span[2..]);
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)n);
        return n + 2;
    }

    public static int WriteBinary(Span<byte> span, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)value.Length);
        value.CopyTo(span[2..]);
        return value.Length + 2;
    }

    /// <summary>Size of a whole PUBLISH packet. <paramref name="topicBytes"/> is the topic's UTF-8 length; <paramref name="properties"/> the encoded MQTT 5 property block including its length prefix (empty for 3.1.1).</summary>
    public static int PublishSize(int topicBytes, int qos, int properties, int payload, out int remaining)
    {
        remaining = 2 + topicBytes + (qos > 0 ? 2 : 0) + properties + payload;
        return 1 + VarIntSize(remaining) + remaining;
    }

    /// <summary>Writes a PUBLISH; returns the offset of its packet identifier (0 for QoS 0) so it can be assigned when sent.</summary>
    public static int WritePublish(Span<byte> span, string topic, ReadOnlySpan<byte> properties, ReadOnlySpan<byte> payload, int qos, bool retain, int remaining)
    {
        span[0] = (byte)((int)MqttPacketType.Publish << 4 | qos << 1 | (retain ? 1 : 0));
        int o = 1 + WriteVarInt(span[1..], remaining);
        o += WriteString(span[o..], topic);
        int idOffset = 0;
        if (qos > 0)
        {
            idOffset = o;
            span[o++] = 0;
            span[o++] = 0;
        }

        properties.CopyTo(span[o..]);
        o += properties.Length;
        payload.CopyTo(span[o..]);
        return idOffset;
    }

    /// <summary>PUBACK, PUBREC, PUBREL or PUBCOMP with success (4 bytes; the MQTT 5 reason code 0x00 may be omitted [MQTT-3.4.2-1]).</summary>
    public static void WriteAck(Span<byte> span, MqttPacketType type, ushort packetId)
    {
        // PUBREL's fixed header flags are 0010 [MQTT-3.6.1-1].
        span[0] = (byte)((int)type << 4 | (type == MqttPacketType.PubRel ? 0x02 : 0));
        span[1] = 2;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], packetId);
    }

    public static void WritePingReq(Span<byte> span)
    {
        span[0] = (int)MqttPacketType.PingReq << 4;
        span[1] = 0;
    }

    /// <summary>DISCONNECT: reason 0x00 Normal disconnection, so the server discards the will [MQTT-3.14.4-3] (two bytes in both versions).</summary>
    public static void WriteDisconnect(Span<byte> span)
    {
        span[0] = (int)MqttPacketType.Disconnect << 4;
        span[1] = 0;
    }

    /// <summary>Size of a SUBSCRIBE for <paramref name="filters"/> (UTF-8 encoded).</summary>
    public static int SubscribeSize(byte[][] filters, bool v5, out int remaining)
    {
        remaining = 2 + (v5 ? 1 : 0);
        foreach (var f in filters)
        {
            remaining += 2 + f.Length + 1;
        }

        return 1 + VarIntSize(remaining) + remaining;
    }

    public static int WriteSubscribe(Span<byte> span, ushort packetId, byte[][] filters, int qos, bool v5, int remaining)
    {
        // SUBSCRIBE's fixed header flags are 0010 [MQTT-3.8.1-1].
        span[0] = (int)MqttPacketType.Subscribe << 4 | 0x02;
        int o = 1 + WriteVarInt(span[1..], remaining);
        o += WriteUInt16(span[o..], packetId);
        if (v5)
        {
            span[o++] = 0; // no properties
        }

        foreach (var f in filters)
        {
            o += WriteBinary(span[o..], f);
            span[o++] = (byte)qos;
        }

        return o;
    }
}

/// <summary>Reads fields of a received packet body; every read is bounds-checked and fails as a value.</summary>
internal ref struct MqttPacketReader(ReadOnlySpan<byte> body)
{
    private readonly ReadOnlySpan<byte> _body = body;
    private int _offset;

    public readonly int Remaining => _body.Length - _offset;

    public readonly ReadOnlySpan<byte> Rest => _body[_offset..];

    public bool TryReadByte(out byte value)
    {
        if (_offset >= _body.Length)
        {
            value = 0;
            return false;
        }

        value = _body[_offset++];
        return true;
    }

    public bool TryReadUInt16(out ushort value)
    {
        if (_body.Length - _offset < 2)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt16BigEndian(_body[_offset..]);
        _offset += 2;
        return true;
    }

    public bool TryReadUInt32(out uint value)
    {
        if (_body.Length - _offset < 4)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt32BigEndian(_body[_offset..]);
        _offset += 4;
        return true;
    }

    public bool TryReadVarInt(out int value)
    {
        value = 0;
        for (int shift = 0; shift < 28; shift += 7)
        {
            if (!TryReadByte(out byte b))
            {
                return false;
            }

            value |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A two-byte-length-prefixed field (UTF-8 string or binary data).</summary>
    public bool TryReadPrefixed(out ReadOnlySpan<byte> value)
    {
        if (!TryReadUInt16(out ushort length) || _body.Length - _offset < length)
        {
            value = default;
            return false;
        }

        value = _body.Slice(_offset, length);
        _offset += length;
        return true;
    }

    /// <summary>
    /// Finds the Response Topic (and Correlation Data, empty when absent) in a PUBLISH property block (without its
    /// length prefix); false when there is no Response Topic or the block is malformed.
    /// </summary>
    public static bool TryFindResponseTopic(ReadOnlySpan<byte> properties, out ReadOnlySpan<byte> responseTopic, out ReadOnlySpan<byte> correlationData)
    {
        responseTopic = default;
        correlationData = default;
        bool found = false;
        var reader = new MqttPacketReader(properties);
        while (reader.Remaining > 0)
        {
            if (!reader.TryReadByte(out byte id))
            {
                return false;
            }

            switch (id)
            {
                case MqttProperty.ResponseTopic:
                    if (!reader.TryReadPrefixed(out responseTopic))
                    {
                        return false;
                    }

                    found = responseTopic.Length > 0;
                    break;
                case MqttProperty.CorrelationData:
                    if (!reader.TryReadPrefixed(out correlationData))
                    {
                        return false;
                    }

                    break;
                default:
                    if (!reader.TrySkipProperty(id))
                    {
                        return found;
                    }

                    break;
            }
        }

        return found;
    }

    /// <summary>Skips one MQTT 5 property value of <paramref name="id"/>; false on an unknown id or a short body.</summary>
    public bool TrySkipProperty(byte id)
    {
        int size = MqttProperty.FixedSize(id);
        switch (size)
        {
            case > 0:
                if (Remaining < size)
                {
                    return false;
                }

                _offset += size;
                return true;
            case -1:
                return TryReadPrefixed(out _);
            case -2:
                return TryReadVarInt(out _);
            case -3:
                return TryReadPrefixed(out _) && TryReadPrefixed(out _);
            default:
                return false;
        }
    }
}

/// <summary>Names of CONNACK, SUBACK and DISCONNECT codes for error messages.</summary>
internal static class MqttReasonCodes
{
    /// <summary>An MQTT 3.1.1 CONNACK return code [MQTT-3.2.2.3].</summary>
    public static string ConnectReturnCode(byte code) => code switch
    {
        0 => "0x00 Connection Accepted",
        1 => "0x01 unacceptable protocol version",
        2 => "0x02 identifier rejected",
        3 => "0x03 server unavailable",
        4 => "0x04 bad user name or password",
        5 => "0x05 not authorized",
        _ => $"0x{code:X2} (unknown return code)",
    };

    /// <summary>An MQTT 5 reason code (CONNACK, SUBACK, DISCONNECT) [MQTT-2.4].</summary>
    public static string ReasonCode(byte code) => code switch
    {
        0x00 => "0x00 Success",
        0x01 => "0x01 Granted QoS 1",
        0x02 => "0x02 Granted QoS 2",
        0x04 => "0x04 Disconnect with Will Message",
        0x80 => "0x80 Unspecified error",
        0x81 => "0x81 Malformed Packet",
        0x82 => "0x82 Protocol Error",
        0x83 => "0x83 Implementation specific error",
        0x84 => "0x84 Unsupported Protocol Version",
        0x85 => "0x85 Client Identifier not valid",
        0x86 => "0x86 Bad User Name or Password",
        0x87 => "0x87 Not authorized",
        0x88 => "0x88 Server unavailable",
        0x89 => "0x89 Server busy",
        0x8A => "0x8A Banned",
        0x8B => "0x8B Server shutting down",
        0x8C => "0x8C Bad authentication method",
        0x8D => "0x8D Keep Alive timeout",
        0x8E => "0x8E Session taken over",
        0x8F => "0x8F Topic Filter invalid",
        0x90 => "0x90 Topic Name invalid",
        0x93 => "0x93 Receive Maximum exceeded",
        0x94 => "0x94 Topic Alias invalid",
        0x95 => "0x95 Packet too large",
        0x97 => "0x97 Quota exceeded",
        0x98 => "0x98 Administrative action",
        0x99 => "0x99 Payload format invalid",
        0x9A => "0x9A Retain not supported",
        0x9B => "0x9B QoS not supported",
        0x9C => "0x9C Use another server",
        0x9D => "0x9D Server moved",
        0x9E => "0x9E Shared Subscriptions not supported",
        0x9F => "0x9F Connection rate exceeded",
        0xA0 => "0xA0 Maximum connect time",
        0xA1 => "0xA1 Subscription Identifiers not supported",
        0xA2 => "0xA2 Wildcard Subscriptions not supported",
        _ => $"0x{code:X2}",
    };

    /// <summary>True when a failed connect will fail the same way again (credentials, identity, protocol): no point retrying.</summary>
    public static bool IsPermanentConnectFailure(byte code, bool v5) => v5
        ? code is 0x84 or 0x85 or 0x86 or 0x87 or 0x8A or 0x8C
        : code is 1 or 2 or 4 or 5;
}

/// <summary>MQTT topic filter matching on UTF-8 bytes (<c>+</c> one level, <c>#</c> the rest) [MQTT-4.7.1].</summary>
internal static class MqttTopicFilter
{
    public static bool Matches(ReadOnlySpan<byte> filter, ReadOnlySpan<byte> topic)
    {
        if (filter.IndexOfAny((byte)'+', (byte)'#') < 0)
        {
            return filter.SequenceEqual(topic);
        }

        // Wildcards do not match topics starting with '$' [MQTT-4.7.2-1].
        if (topic.Length > 0 && topic[0] == (byte)'$')
        {
            return false;
        }

        while (true)
        {
            int fEnd = filter.IndexOf((byte)'/');
            var fLevel = fEnd < 0 ? filter : filter[..fEnd];
            if (fLevel.Length == 1 && fLevel[0] == (byte)'#')
            {
                return true;
            }

            int tEnd = topic.IndexOf((byte)'/');
            var tLevel = tEnd < 0 ? topic : topic[..tEnd];
            if (!(fLevel.Length == 1 && fLevel[0] == (byte)'+') && !fLevel.SequenceEqual(tLevel))
            {
                return false;
            }

            if (fEnd < 0 || tEnd < 0)
            {
                // "a/#" matches "a" as well [MQTT-4.7.1-2].
                return fEnd < 0 && tEnd < 0 || tEnd < 0 && filter[(fEnd + 1)..] is [(byte)'#'];
            }

            filter = filter[(fEnd + 1)..];
            topic = topic[(tEnd + 1)..];
        }
    }
}
