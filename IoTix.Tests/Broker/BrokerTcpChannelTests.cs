using System.Buffers;
using IoTix.Broker.Limits;
using IoTix.Broker.Listeners;

namespace IoTix.Tests.Broker;

/// <summary>The broker's TCP channel: coalesced writes, buffered reads and the fixed-header size check, on a fake stream.</summary>
public sealed class BrokerTcpChannelTests
{
    [Fact]
    public async Task Written_packets_stay_buffered_until_flush_and_then_go_out_in_one_write()
    {
        var stream = new RecordingStream([]);
        using var channel = new BrokerTcpChannel(stream, null, null, null, new PayloadLimit(int.MaxValue, maxPacketBytes: 0));

        await channel.WriteAsync(new ReadOnlySequence<byte>([0x30, 0x02]), isEndOfPacket: false, CancellationToken.None);
        await channel.WriteAsync(new ReadOnlySequence<byte>([0x41, 0x42]), isEndOfPacket: true, CancellationToken.None);
        await channel.WriteAsync(new ReadOnlySequence<byte>([0xD0, 0x00]), isEndOfPacket: true, CancellationToken.None);
        var writesBeforeFlush = stream.Writes.Count;
        await channel.FlushAsync(CancellationToken.None);

        Assert.Equal(0, writesBeforeFlush);
        Assert.Equal([0x30, 0x02, 0x41, 0x42, 0xD0, 0x00], Assert.Single(stream.Writes));
        Assert.False(channel.HasBufferedWrites);
        Assert.Equal(6, channel.BytesWritten);
    }

    [Fact]
    public async Task A_buffer_about_to_exceed_64_KiB_is_written_without_waiting_for_a_flush()
    {
        var stream = new RecordingStream([]);
        using var channel = new BrokerTcpChannel(stream, null, null, null, new PayloadLimit(int.MaxValue, maxPacketBytes: 0));
        var packet = new byte[40 * 1024];

        await channel.WriteAsync(new ReadOnlySequence<byte>(packet), isEndOfPacket: true, CancellationToken.None);
        await channel.WriteAsync(new ReadOnlySequence<byte>(packet), isEndOfPacket: true, CancellationToken.None);

        Assert.Equal(packet.Length, Assert.Single(stream.Writes).Length);
        Assert.True(channel.HasBufferedWrites);
    }

    [Fact]
    public async Task Small_reads_are_served_from_one_network_read()
    {
        var stream = new RecordingStream([0xC0, 0x00, 0xC0, 0x00, 0x30, 0x03, 0x00, 0x01, 0x61]);
        using var channel = new BrokerTcpChannel(stream, null, null, null, new PayloadLimit(int.MaxValue, maxPacketBytes: 1000));
        var received = new List<byte>();
        var buffer = new byte[2];

        for (var i = 0; i < 5; i++)
        {
            var read = await channel.ReadAsync(buffer, 0, i == 4 ? 1 : 2, CancellationToken.None);
            received.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        Assert.Equal([0xC0, 0x00, 0xC0, 0x00, 0x30, 0x03, 0x00, 0x01, 0x61], received);
        Assert.Equal(1, stream.DataReads);
    }

    [Fact]
    public async Task A_remaining_length_over_the_maximum_packet_size_is_withheld_and_the_read_ends()
    {
        // PUBLISH with remaining length 200 (two length bytes: 0xC8 0x01), over a 100-byte limit.
        var stream = new RecordingStream([0xC0, 0x00, 0x30, 0xC8, 0x01, 0x00, 0x01, 0x61]);
        using var channel = new BrokerTcpChannel(stream, null, null, null, new PayloadLimit(int.MaxValue, maxPacketBytes: 100));
        var buffer = new byte[8];

        var first = await channel.ReadAsync(buffer, 0, 8, CancellationToken.None);
        var second = await channel.ReadAsync(buffer, 0, 8, CancellationToken.None);

        Assert.Equal(4, first);
        Assert.Equal(0, second);
        Assert.Equal(203, channel.RefusedPacketBytes);
    }

    [Fact]
    public async Task Packets_within_the_limit_pass_the_fixed_header_check()
    {
        var data = new byte[] { 0x30, 0x05, 0x00, 0x01, 0x61, 0x62, 0x63, 0xE0, 0x00 };
        var stream = new RecordingStream(data);
        using var channel = new BrokerTcpChannel(stream, null, null, null, new PayloadLimit(int.MaxValue, maxPacketBytes: 7));
        var buffer = new byte[16];

        var read = await channel.ReadAsync(buffer, 0, 16, CancellationToken.None);

        Assert.Equal(data.Length, read);
        Assert.Equal(0, channel.RefusedPacketBytes);
    }

    /// <summary>Hands out the given bytes in one read (then end of stream) and records every write.</summary>
    private sealed class RecordingStream(byte[] input) : Stream
    {
        private int _position;

        public List<byte[]> Writes { get; } = [];

        public int DataReads { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.Length == 0)
            {
                return ValueTask.FromResult(0);
            }

            DataReads++;
            var count = Math.Min(buffer.Length, input.Length - _position);
            input.AsMemory(_position, count).CopyTo(buffer);
            _position += count;
            return ValueTask.FromResult(count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes.Add(buffer.ToArray());
            return ValueTask.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
