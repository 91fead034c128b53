using System.Text;
using IoTix.Core.Protocols.Coap;

namespace IoTix.Tests.Core.Protocols.Coap;

public sealed class CoapMessageTests
{
    // RFC 7252 Appendix A, Figure 16: CON [0x7d34] GET /temperature, answered by ACK [0x7d34] 2.05 "22.3 C".
    private static readonly byte[] GetTemperature = [0x40, 0x01, 0x7d, 0x34, 0xbb, .. "temperature"u8];
    private static readonly byte[] ContentResponse = [0x60, 0x45, 0x7d, 0x34, 0xff, .. "22.3 C"u8];

    [Fact]
    public void Writer_encodes_the_RFC_example_request_byte_for_byte()
    {
        var buffer = new byte[64];
        var writer = new CoapMessageWriter(buffer);

        writer.WriteHeader(CoapMessageType.Confirmable, CoapCode.Get, 0x7d34, default);
        writer.WriteOption(CoapOptionNumber.UriPath, "temperature".AsSpan());

        Assert.Equal(GetTemperature, buffer[..writer.Length]);
    }

    [Fact]
    public void Reader_parses_the_RFC_example_piggybacked_response()
    {
        var error = CoapMessageReader.TryParse(ContentResponse, out var header, out var token, out var options, out var payload);

        Assert.Equal(CoapFormatError.None, error);
        Assert.Equal(CoapMessageType.Acknowledgement, header.Type);
        Assert.Equal(CoapCode.Content, header.Code);
        Assert.Equal((ushort)0x7d34, header.MessageId);
        Assert.Equal(0, token.Length);
        Assert.Equal(0, options.Length);
        Assert.Equal("22.3 C", Encoding.ASCII.GetString(payload));
    }

    [Fact]
    public void Options_round_trip_with_one_and_two_byte_delta_and_length_extensions()
    {
        var buffer = new byte[1024];
        var writer = new CoapMessageWriter(buffer);
        var longSegment = new string('s', 300); // length 300 -> nibble 14, extension 300 - 269
        writer.WriteHeader(CoapMessageType.NonConfirmable, CoapCode.Post, 7, [1, 2, 3, 4, 5, 6, 7, 8]);
        writer.WriteOption(CoapOptionNumber.UriHost, "example.org".AsSpan());
        writer.WriteOption(CoapOptionNumber.Observe, 0u);
        writer.WriteOption(CoapOptionNumber.UriPath, longSegment.AsSpan());
        writer.WriteOption(CoapOptionNumber.ContentFormat, (uint)CoapContentFormat.Json);
        writer.WriteOption(CoapOptionNumber.Size1, 70_000u); // delta 60 - 12 = 48 -> nibble 13
        writer.WritePayload("{}"u8);

        var error = CoapMessageReader.TryParse(buffer.AsSpan(0, writer.Length), out var header, out var token, out var options, out var payload);
        var seen = new List<(int Number, byte[] Value)>();
        var e = new CoapOptionEnumerator(options);
        while (e.MoveNext())
        {
            seen.Add((e.Number, e.Value.ToArray()));
        }

        Assert.Equal(CoapFormatError.None, error);
        Assert.Equal(8, token.Length);
        Assert.Equal(CoapMessageType.NonConfirmable, header.Type);
        Assert.Equal([3, 6, 11, 12, 60], seen.ConvertAll(o => o.Number));
        Assert.Equal("example.org", Encoding.UTF8.GetString(seen[0].Value));
        Assert.Empty(seen[1].Value); // 0 is the empty value [RFC 7252 3.2]
        Assert.Equal(longSegment, Encoding.UTF8.GetString(seen[2].Value));
        Assert.Equal(50u, CoapMessageReader.ReadUInt(seen[3].Value));
        Assert.Equal(70_000u, CoapMessageReader.ReadUInt(seen[4].Value));
        Assert.Equal(3, seen[4].Value.Length);
        Assert.Equal("{}", Encoding.UTF8.GetString(payload));
    }

    [Theory]
    [InlineData(new byte[] { 0x40, 0x01, 0x00 }, (int)CoapFormatError.TooShort)]
    [InlineData(new byte[] { 0x80, 0x01, 0x00, 0x01 }, (int)CoapFormatError.BadVersion)]
    [InlineData(new byte[] { 0x49, 0x01, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, (int)CoapFormatError.BadTokenLength)]
    [InlineData(new byte[] { 0x41, 0x00, 0x00, 0x01, 0x01 }, (int)CoapFormatError.EmptyWithContent)]
    [InlineData(new byte[] { 0x44, 0x45, 0x00, 0x01, 0x01 }, (int)CoapFormatError.TruncatedToken)]
    [InlineData(new byte[] { 0x40, 0x45, 0x00, 0x01, 0xf1, 0x00 }, (int)CoapFormatError.ReservedOptionNibble)]
    [InlineData(new byte[] { 0x40, 0x45, 0x00, 0x01, 0xb5, 0x61 }, (int)CoapFormatError.TruncatedOption)]
    [InlineData(new byte[] { 0x40, 0x45, 0x00, 0x01, 0xff }, (int)CoapFormatError.EmptyPayloadAfterMarker)]
    public void Reader_reports_message_format_errors(byte[] datagram, int expected)
    {
        var error = CoapMessageReader.TryParse(datagram, out _, out _, out _, out _);

        Assert.Equal((CoapFormatError)expected, error);
    }

    [Fact]
    public void Empty_message_is_four_bytes_with_code_zero()
    {
        var buffer = new byte[4];
        var writer = new CoapMessageWriter(buffer);

        writer.WriteHeader(CoapMessageType.Reset, CoapCode.Empty, 0xBEEF, default);
        var error = CoapMessageReader.TryParse(buffer, out var header, out _, out _, out _);

        Assert.Equal(CoapFormatError.None, error);
        Assert.Equal(new byte[] { 0x70, 0x00, 0xBE, 0xEF }, buffer);
        Assert.True(header.IsEmpty);
        Assert.Equal(CoapMessageType.Reset, header.Type);
    }

    [Theory]
    [InlineData(CoapOptionNumber.UriPath, true, true)]
    [InlineData(CoapOptionNumber.Block2, true, true)]
    [InlineData(CoapOptionNumber.MaxAge, false, true)]
    [InlineData(9, true, false)]
    [InlineData(2048 + 1, true, false)]
    public void Option_classes_follow_the_odd_is_critical_rule(int number, bool critical, bool known)
    {
        Assert.Equal(critical, CoapOptionNumber.IsCritical(number));
        Assert.Equal(known, CoapOptionNumber.IsKnown(number));
    }
}
