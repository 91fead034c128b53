using System.Buffers.Binary;
using System.Text;

namespace IoTix.Core.Protocols.Coap;

/// <summary>CoAP message types [RFC 7252 3].</summary>
internal enum CoapMessageType : byte
{
    Confirmable = 0,
    NonConfirmable = 1,
    Acknowledgement = 2,
    Reset = 3,
}

/// <summary>CoAP codes as the 8-bit <c>c.dd</c> value [RFC 7252 3, 12.1].</summary>
internal static class CoapCode
{
    public const byte Empty = 0x00;
    public const byte Get = 0x01;
    public const byte Post = 0x02;
    public const byte Put = 0x03;
    public const byte Delete = 0x04;
    public const byte Created = 0x41;   // 2.01
    public const byte Changed = 0x44;   // 2.04
    public const byte Content = 0x45;   // 2.05
    public const byte BadOption = 0x82; // 4.02
    public const byte NotFound = 0x84;  // 4.04

    public static int Class(byte code) => code >> 5;

    public static int Detail(byte code) => code & 0x1F;

    public static bool IsRequest(byte code) => code is >= 0x01 and <= 0x1F;

    public static bool IsResponse(byte code) => Class(code) is >= 2 and <= 5;

    public static bool IsSuccess(byte code) => Class(code) == 2;

    /// <summary><c>c.dd</c> text for logs (allocates; not for per-message paths).</summary>
    public static string Format(byte code) => $"{Class(code)}.{Detail(code):D2}";
}

/// <summary>Option numbers used by the client [RFC 7252 5.10, 12.2; RFC 7641 2; RFC 7959 2.1].</summary>
internal static class CoapOptionNumber
{
    public const int IfMatch = 1;
    public const int UriHost = 3;
    public const int ETag = 4;
    public const int IfNoneMatch = 5;
    public const int Observe = 6;
    public const int UriPort = 7;
    public const int LocationPath = 8;
    public const int UriPath = 11;
    public const int ContentFormat = 12;
    public const int MaxAge = 14;
    public const int UriQuery = 15;
    public const int Accept = 17;
    public const int LocationQuery = 20;
    public const int Block2 = 23;
    public const int Block1 = 27;
    public const int Size2 = 28;
    public const int ProxyUri = 35;
    public const int ProxyScheme = 39;
    public const int Size1 = 60;

    /// <summary>Odd option numbers are critical [RFC 7252 5.4.1].</summary>
    public static bool IsCritical(int number) => (number & 1) != 0;

    /// <summary>Options this client understands; an unknown critical option in a response rejects it [RFC 7252 5.4.1].</summary>
    public static bool IsKnown(int number) => number switch
    {
        IfMatch or UriHost or ETag or IfNoneMatch or Observe or UriPort or LocationPath or UriPath
            or ContentFormat or MaxAge or UriQuery or Accept or LocationQuery or Block2 or Block1
            or Size2 or ProxyUri or ProxyScheme or Size1 => true,
        _ => false,
    };
}

/// <summary>Content-Format identifiers [RFC 7252 12.3].</summary>
internal static class CoapContentFormat
{
    public const int TextPlain = 0;
    public const int OctetStream = 42;
    public const int Json = 50;
}

/// <summary>Why a datagram is not a well-formed CoAP message.</summary>
internal enum CoapFormatError : byte
{
    None,
    TooShort,
    BadVersion,
    BadTokenLength,
    EmptyWithContent,
    TruncatedToken,
    ReservedOptionNibble,
    TruncatedOption,
    EmptyPayloadAfterMarker,
}

/// <summary>The fixed part of a parsed message.</summary>
internal readonly record struct CoapHeader(CoapMessageType Type, int TokenLength, byte Code, ushort MessageId)
{
    public bool IsEmpty => Code == CoapCode.Empty;
}

/// <summary>
/// Parses CoAP datagrams [RFC 7252 3]: the 4-byte header, the token, the options (delta/length
/// encoding with 13/14 extensions) and the payload after the 0xFF marker. Allocation-free; the
/// returned spans point into the datagram.
/// </summary>
internal static class CoapMessageReader
{
    /// <summary>Reads only the header (enough to reset a malformed Confirmable message).</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> datagram, out CoapHeader header)
    {
        if (datagram.Length < 4 || datagram[0] >> 6 != 1)
        {
            header = default;
            return false;
        }

        header = new CoapHeader((CoapMessageType)((datagram[0] >> 4) & 0x3), datagram[0] & 0x0F, datagram[1], BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]));
        return true;
    }

    /// <summary>Validates and splits a datagram; every option is checked, so <see cref="CoapOptionEnumerator"/> over <paramref name="options"/> cannot fail.</summary>
    public static CoapFormatError TryParse(ReadOnlySpan<byte> datagram, out CoapHeader header, out ReadOnlySpan<byte> token, out ReadOnlySpan<byte> options, out ReadOnlySpan<byte> payload)
    {
        token = default;
        options = default;
        payload = default;
        if (datagram.Length < 4)
        {
            header = default;
            return CoapFormatError.TooShort;
        }

        if (!TryReadHeader(datagram, out header))
        {
            return CoapFormatError.BadVersion;
        }

        if (header.TokenLength > 8)
        {
            return CoapFormatError.BadTokenLength; // lengths 9-15 are reserved [RFC 7252 3]
        }

        if (header.IsEmpty && (header.TokenLength != 0 || datagram.Length != 4))
        {
            return CoapFormatError.EmptyWithContent; // [RFC 7252 4.1]
        }

        if (datagram.Length < 4 + header.TokenLength)
        {
            return CoapFormatError.TruncatedToken;
        }

        token = datagram.Slice(4, header.TokenLength);
        var rest = datagram[(4 + header.TokenLength)..];
        int pos = 0;
        while (pos < rest.Length)
        {
            byte b = rest[pos];
            if (b == 0xFF)
            {
                if (pos + 1 == rest.Length)
                {
                    return CoapFormatError.EmptyPayloadAfterMarker; // [RFC 7252 3]
                }

                options = rest[..pos];
                payload = rest[(pos + 1)..];
                return CoapFormatError.None;
            }

            pos++;
            if (!TryReadExtended(rest, ref pos, b >> 4, out _) || !TryReadExtended(rest, ref pos, b & 0x0F, out int length))
            {
                return (b >> 4) == 15 || (b & 0x0F) == 15 ? CoapFormatError.ReservedOptionNibble : CoapFormatError.TruncatedOption;
            }

            if (pos + length > rest.Length)
            {
                return CoapFormatError.TruncatedOption;
            }

            pos += length;
        }

        options = rest;
        return CoapFormatError.None;
    }

    internal static bool TryReadExtended(ReadOnlySpan<byte> data, ref int pos, int nibble, out int value)
    {
        switch (nibble)
        {
            case < 13:
                value = nibble;
                return true;
            case 13:
                if (pos + 1 > data.Length)
                {
                    value = 0;
                    return false;
                }

                value = data[pos++] + 13;
                return true;
            case 14:
                if (pos + 2 > data.Length)
                {
                    value = 0;
                    return false;
                }

                value = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]) + 269;
                pos += 2;
                return true;
            default:
                value = 0;
                return false; // 15 is reserved for the payload marker [RFC 7252 3.1]
        }
    }

    /// <summary>Reads an option's unsigned integer value (0-4 bytes, big-endian) [RFC 7252 3.2].</summary>
    public static uint ReadUInt(ReadOnlySpan<byte> value)
    {
        uint v = 0;
        for (int i = 0; i < value.Length && i < 4; i++)
        {
            v = (v << 8) | value[i];
        }

        return v;
    }
}

/// <summary>Walks the options of a message validated by <see cref="CoapMessageReader.TryParse"/>.</summary>
internal ref struct CoapOptionEnumerator
{
    private readonly ReadOnlySpan<byte> _options;
    private int _pos;

    public CoapOptionEnumerator(ReadOnlySpan<byte> options)
    {
        _options = options;
        _pos = 0;
        Number = 0;
        Value = default;
    }

    public int Number { get; private set; }

    public ReadOnlySpan<byte> Value { get; private set; }

    public bool MoveNext()
    {
        if (_pos >= _options.Length)
        {
            return false;
        }

        byte b = _options[_pos++];
        CoapMessageReader.TryReadExtended(_options, ref _pos, b >> 4, out int delta);
        CoapMessageReader.TryReadExtended(_options, ref _pos, b & 0x0F, out int length);
        Number += delta;
        Value = _options.Slice(_pos, length);
        _pos += length;
        return true;
    }
}

/// <summary>
/// Writes a CoAP message into a caller-provided buffer: header, token, options in ascending number
/// order (delta/length encoding), payload marker and payload [RFC 7252 3]. The caller sizes the
/// buffer (<see cref="MaxOverhead"/> plus option and payload bytes).
/// </summary>
internal ref struct CoapMessageWriter
{
    /// <summary>Header (4), token (8), payload marker (1).</summary>
    public const int MaxOverhead = 13;

    private readonly Span<byte> _buffer;
    private int _lastOption;

    public CoapMessageWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        Length = 0;
        _lastOption = 0;
    }

    public int Length { get; private set; }

    public void WriteHeader(CoapMessageType type, byte code, ushort messageId, scoped ReadOnlySpan<byte> token)
    {
        _buffer[0] = (byte)(0x40 | ((int)type << 4) | token.Length);
        _buffer[1] = code;
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], messageId);
        token.CopyTo(_buffer[4..]);
        Length = 4 + token.Length;
        _lastOption = 0;
    }

    /// <summary>Copies options encoded by another writer that started at option number 0 (must be the first options written).</summary>
    public void WriteEncodedOptions(scoped ReadOnlySpan<byte> encoded, int lastNumber)
    {
        encoded.CopyTo(_buffer[Length..]);
        Length += encoded.Length;
        _lastOption = lastNumber;
    }

    public void WriteOption(int number, scoped ReadOnlySpan<byte> value)
    {
        int delta = number - _lastOption;
        int headerPos = Length++;
        int dn = Nibble(delta);
        int ln = Nibble(value.Length);
        _buffer[headerPos] = (byte)((dn << 4) | ln);
        WriteExtended(delta, dn);
        WriteExtended(value.Length, ln);
        value.CopyTo(_buffer[Length..]);
        Length += value.Length;
        _lastOption = number;
    }

    /// <summary>An unsigned option value in the fewest bytes (0 is zero-length) [RFC 7252 3.2].</summary>
    public void WriteOption(int number, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        int skip = value == 0 ? 4 : value < 0x100 ? 3 : value < 0x10000 ? 2 : value < 0x1000000 ? 1 : 0;
        WriteOption(number, bytes[skip..]);
    }

    /// <summary>A string option, UTF-8 encoded (Uri-Path segment, Uri-Query, Uri-Host).</summary>
    public void WriteOption(int number, scoped ReadOnlySpan<char> value)
    {
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max <= 256)
        {
            Span<byte> bytes = stackalloc byte[256];
            WriteOption(number, bytes[..Encoding.UTF8.GetBytes(value, bytes)]);
            return;
        }

        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(max);
        WriteOption(number, rented.AsSpan(0, Encoding.UTF8.GetBytes(value, rented)));
        System.Buffers.ArrayPool<byte>.Shared.Return(rented);
    }

    public void WritePayload(scoped ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return;
        }

        _buffer[Length++] = 0xFF;
        payload.CopyTo(_buffer[Length..]);
        Length += payload.Length;
    }

    /// <summary>Bytes an option with a <paramref name="delta"/> and <paramref name="valueLength"/> takes.</summary>
    public static int OptionSize(int delta, int valueLength) =>
        1 + ExtendedSize(delta) + ExtendedSize(valueLength) + valueLength;

    private static int ExtendedSize(int v) => v < 13 ? 0 : v < 269 ? 1 : 2;

    private static int Nibble(int v) => v < 13 ? v : v < 269 ? 13 : 14;

    private void WriteExtended(int v, int nibble)
    {
        if (nibble == 13)
        {
            _buffer[Length++] = (byte)(v - 13);
        }
        else if (nibble == 14)
        {
            BinaryPrimitives.WriteUInt16BigEndian(_buffer[Length..], (ushort)(v - 269));
            Length += 2;
        }
    }
}
