using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography.X509Certificates;
using IoTix.Broker.Limits;
using MQTTnet.Channel;
using MQTTnet.Exceptions;

namespace IoTix.Broker.Listeners;

/// <summary>
/// The byte stream under MQTTnet's channel adapter for the broker's own TCP/TLS listeners (replaces MQTTnet's
/// <c>MqttTcpChannel</c>). Three things MQTTnet does not do:
/// <list type="bullet">
/// <item>Writes are coalesced: <see cref="WriteAsync"/> appends to a pooled buffer and <see cref="FlushAsync"/> writes it
/// with one socket send (one TLS record). <see cref="BrokerChannelAdapter"/> decides when to flush: when no further
/// packet of the connection is known to follow. The buffer is written at once when it would exceed
/// <see cref="WriteBufferBytes"/>.</item>
/// <item>Reads are buffered: MQTTnet reads a fixed header in 2- and 1-byte reads, which without a buffer is one
/// <c>recv()</c> each. The buffer is rented only while bytes wait in it (an idle connection waits with a zero-byte
/// read and holds no buffer).</item>
/// <item>The fixed header of every incoming packet is checked against the Maximum Packet Size before MQTTnet
/// allocates the body: the byte that completes an oversize Remaining Length is withheld and the read ends as if
/// the peer had closed; <see cref="RefusedPacketBytes"/> says why.</item>
/// </list>
/// Reads come from one loop (MQTTnet's receive loop); writes and flushes may come from several tasks and are
/// serialized here.
/// </summary>
internal sealed class BrokerTcpChannel : IMqttChannel
{
    /// <summary>Coalesced bytes that force a write (and the size of the rented write buffer).</summary>
    public const int WriteBufferBytes = 64 * 1024;

    private const int ReadBufferBytes = 8 * 1024;

    private readonly Stream _stream;
    private readonly PayloadLimit _limit;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    private byte[]? _readBuffer;
    private int _readStart;
    private int _readEnd;

    private byte[]? _writeBuffer;
    private int _buffered;

    // Fixed header parser over the bytes handed to MQTTnet: 0 = packet type byte, 1 = remaining length, 2 = body.
    private int _headerState;
    private int _lengthValue;
    private int _lengthMultiplier;
    private int _lengthBytes;
    private long _bodyRemaining;

    private long _bytesRead;
    private long _bytesWritten;
    private long _streamWrites;
    private bool _disposed;

    public BrokerTcpChannel(Stream stream, EndPoint? localEndPoint, EndPoint? remoteEndPoint, X509Certificate2? clientCertificate, PayloadLimit limit)
    {
        _stream = stream;
        _limit = limit;
        LocalEndPoint = localEndPoint!;
        RemoteEndPoint = remoteEndPoint!;
        ClientCertificate = clientCertificate!;
        IsSecureConnection = stream is SslStream;
    }

    public X509Certificate2 ClientCertificate { get; }

    public EndPoint RemoteEndPoint { get; }

    public EndPoint LocalEndPoint { get; }

    public bool IsSecureConnection { get; }

    /// <summary>Total length of an incoming packet refused by its fixed header (0 = none).</summary>
    public long RefusedPacketBytes { get; private set; }

    /// <summary>Bytes read from the network (single reader: MQTTnet's receive loop).</summary>
    public long BytesRead => Volatile.Read(ref _bytesRead);

    /// <summary>Bytes written to the network.</summary>
    public long BytesWritten => Volatile.Read(ref _bytesWritten);

    /// <summary>Writes issued to the stream (each is one socket send, or one TLS record, for small buffers).</summary>
    public long StreamWrites => Volatile.Read(ref _streamWrites);

    /// <summary>True when written packets wait in the buffer for a flush.</summary>
    public bool HasBufferedWrites => Volatile.Read(ref _buffered) > 0;

    public Task ConnectAsync(CancellationToken cancellationToken) => throw new NotSupportedException("A server-side channel is connected when accepted.");

    public Task DisconnectAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            _stream.Dispose();
        }
        catch (ObjectDisposedException)
        {
            // Already closed by the listener.
        }

        // The write buffer goes back to the pool only when no write holds it; the read buffer is owned by the reader.
        if (_writeLock.Wait(0))
        {
            ReturnWriteBuffer();
            _writeLock.Release();
        }
    }

    public async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (RefusedPacketBytes > 0 || count == 0)
        {
            return 0;
        }

        if (_readStart == _readEnd && !await FillAsync(cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        var available = Math.Min(count, _readEnd - _readStart);
        var source = _readBuffer.AsSpan(_readStart, available);
        var accepted = Observe(source);
        source[..accepted].CopyTo(buffer.AsSpan(offset, accepted));
        _readStart += accepted;
        if (_readStart == _readEnd)
        {
            ReturnReadBuffer();
        }

        return accepted;
    }

    public async Task WriteAsync(ReadOnlySequence<byte> buffer, bool isEndOfPacket, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!_writeLock.Wait(0))
        {
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            ThrowIfClosed();
            var length = buffer.Length;
            if (_buffered + length > WriteBufferBytes)
            {
                await WriteBufferedAsync(cancellationToken).ConfigureAwait(false);
                if (length >= WriteBufferBytes)
                {
                    // Large packets (payloads up to Broker:MaxPayloadBytes) go out without a copy.
                    foreach (var segment in buffer)
                    {
                        await _stream.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
                        _streamWrites++;
                    }

                    Volatile.Write(ref _bytesWritten, _bytesWritten + length);
                    return;
                }
            }

            _writeBuffer ??= ArrayPool<byte>.Shared.Rent(WriteBufferBytes);
            buffer.CopyTo(_writeBuffer.AsSpan(_buffered));
            Volatile.Write(ref _buffered, _buffered + (int)length);
        }
        catch (Exception exception) when (exception is ObjectDisposedException or IOException)
        {
            throw Translate(exception);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Writes the coalesced packets with one stream write (nothing to do when none wait).</summary>
    public Task FlushAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _buffered) == 0)
        {
            return Task.CompletedTask;
        }

        return FlushCoreAsync(cancellationToken);
    }

    private async Task FlushCoreAsync(CancellationToken cancellationToken)
    {
        if (!_writeLock.Wait(0))
        {
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            ThrowIfClosed();
            await WriteBufferedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is ObjectDisposedException or IOException)
        {
            throw Translate(exception);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Under the write lock.</summary>
    private async ValueTask WriteBufferedAsync(CancellationToken cancellationToken)
    {
        var count = _buffered;
        if (count == 0)
        {
            return;
        }

        await _stream.WriteAsync(_writeBuffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
        _streamWrites++;
        Volatile.Write(ref _bytesWritten, _bytesWritten + count);
        Volatile.Write(ref _buffered, 0);
        ReturnWriteBuffer();
    }

    private void ReturnWriteBuffer()
    {
        var rented = _writeBuffer;
        if (rented is not null)
        {
            _writeBuffer = null;
            _buffered = 0;
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_readBuffer is null)
            {
                // Wait for data without holding a buffer: idle connections cost no read buffer.
                await _stream.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
                _readBuffer = ArrayPool<byte>.Shared.Rent(ReadBufferBytes);
            }

            var read = await _stream.ReadAsync(_readBuffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                ReturnReadBuffer();
                return false;
            }

            _readStart = 0;
            _readEnd = read;
            Volatile.Write(ref _bytesRead, _bytesRead + read);
            return true;
        }
        catch (ObjectDisposedException)
        {
            ReturnReadBuffer();
            return false;
        }
        catch (IOException exception) when (exception.InnerException is SocketException socketException)
        {
            ReturnReadBuffer();
            ExceptionDispatchInfo.Capture(socketException).Throw();
            throw;
        }
        catch
        {
            ReturnReadBuffer();
            throw;
        }
    }

    private void ReturnReadBuffer()
    {
        var rented = _readBuffer;
        if (rented is not null)
        {
            _readBuffer = null;
            _readStart = 0;
            _readEnd = 0;
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Follows the fixed headers in the bytes about to be handed to MQTTnet; returns how many may be handed over
    /// (all, unless one completes the Remaining Length of a packet over the Maximum Packet Size).
    /// </summary>
    private int Observe(ReadOnlySpan<byte> bytes)
    {
        var index = 0;
        while (index < bytes.Length)
        {
            switch (_headerState)
            {
                case 0:
                    _headerState = 1;
                    _lengthValue = 0;
                    _lengthMultiplier = 1;
                    _lengthBytes = 0;
                    index++;
                    break;
                case 1:
                    var encoded = bytes[index];
                    _lengthBytes++;
                    _lengthValue += (encoded & 0x7F) * _lengthMultiplier;
                    if ((encoded & 0x80) != 0 && _lengthBytes < 4)
                    {
                        _lengthMultiplier *= 128;
                        index++;
                        break;
                    }

                    var total = 1L + _lengthBytes + _lengthValue;
                    var maxPacketBytes = _limit.MaxPacketBytes;
                    if (maxPacketBytes > 0 && total > maxPacketBytes)
                    {
                        RefusedPacketBytes = total;
                        return index;
                    }

                    // A malformed fifth length byte is MQTTnet's to reject; the parser just moves on.
                    _bodyRemaining = _lengthValue;
                    _headerState = _lengthValue == 0 ? 0 : 2;
                    index++;
                    break;
                default:
                    var take = (int)Math.Min(_bodyRemaining, bytes.Length - index);
                    _bodyRemaining -= take;
                    index += take;
                    if (_bodyRemaining == 0)
                    {
                        _headerState = 0;
                    }

                    break;
            }
        }

        return index;
    }

    private void ThrowIfClosed()
    {
        if (_disposed)
        {
            throw new MqttCommunicationException("The TCP connection is closed.");
        }
    }

    private static Exception Translate(Exception exception) => exception switch
    {
        IOException { InnerException: SocketException socketException } => socketException,
        ObjectDisposedException => new MqttCommunicationException("The TCP connection is closed."),
        _ => exception,
    };
}
