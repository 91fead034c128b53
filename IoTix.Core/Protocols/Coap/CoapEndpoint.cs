using System.Net;
using System.Net.Sockets;

namespace IoTix.Core.Protocols.Coap;

/// <summary>
/// One UDP socket, connected to one server endpoint and shared by up to
/// <see cref="CoapOptions.DevicesPerSocket"/> devices. The server sees it as one CoAP endpoint, so
/// message ids are allocated here (16-bit, seeded start, skipping ids still in flight) and
/// duplicate detection of the server's Confirmable messages is kept here [RFC 7252 4.4, 4.5].
/// State is guarded by the adapter's gate.
/// </summary>
internal sealed class CoapEndpoint
{
    private readonly ushort[] _dupIds;
    private readonly long[] _dupAtMs;
    private readonly byte[] _dupReply;
    private readonly Dictionary<ushort, int> _dupIndex;
    private int _dupNext;
    private ushort _nextMessageId;

    public CoapEndpoint(Socket socket, IPEndPoint server, int number, ushort firstMessageId, int duplicateCacheSize)
    {
        Socket = socket;
        Server = server;
        Number = number;
        _nextMessageId = firstMessageId;
        _dupIds = new ushort[duplicateCacheSize];
        _dupAtMs = new long[duplicateCacheSize];
        _dupReply = new byte[duplicateCacheSize];
        _dupIndex = new Dictionary<ushort, int>(Math.Min(duplicateCacheSize, 1024));
    }

    public Socket Socket { get; }

    public IPEndPoint Server { get; }

    public int Number { get; }

    /// <summary>Devices using this socket.</summary>
    public int Devices { get; set; }

    /// <summary>When the server last answered anything on this socket (scheduler ms; <see cref="long.MinValue"/> never).</summary>
    public long LastAnswerMs { get; set; } = long.MinValue;

    /// <summary>The socket's reachability check in flight (one ping per socket, not per device).</summary>
    public CoapExchange? Ping { get; set; }

    /// <summary>Devices whose connect waits for <see cref="Ping"/>.</summary>
    public List<CoapDeviceConnection> PingWaiters { get; } = [];

    /// <summary>Confirmable exchanges by message id, waiting for ACK or RST.</summary>
    public Dictionary<ushort, CoapExchange> InFlight { get; } = [];

    /// <summary>The next message id not in flight on this endpoint.</summary>
    public ushort NextMessageId()
    {
        for (int i = 0; i < 65_536; i++)
        {
            ushort id = _nextMessageId++;
            if (!InFlight.ContainsKey(id))
            {
                return id;
            }
        }

        return _nextMessageId++; // 65,536 exchanges in flight on one socket: cannot happen below DevicesPerSocket x 2
    }

    /// <summary>
    /// True when <paramref name="messageId"/> was received from the server within
    /// <paramref name="lifetimeMs"/> (EXCHANGE_LIFETIME); <paramref name="reply"/> is what was
    /// answered then (ACK or RST type).
    /// </summary>
    public bool IsDuplicate(ushort messageId, long nowMs, long lifetimeMs, out CoapMessageType reply)
    {
        if (_dupIndex.TryGetValue(messageId, out int i) && nowMs - _dupAtMs[i] <= lifetimeMs)
        {
            reply = (CoapMessageType)_dupReply[i];
            return true;
        }

        reply = default;
        return false;
    }

    /// <summary>Remembers a processed Confirmable message (a ring: the oldest entry is forgotten first).</summary>
    public void Remember(ushort messageId, long nowMs, CoapMessageType reply)
    {
        if (_dupIndex.TryGetValue(messageId, out int existing))
        {
            _dupAtMs[existing] = nowMs;
            _dupReply[existing] = (byte)reply;
            return;
        }

        int slot = _dupNext;
        _dupNext = (_dupNext + 1) % _dupIds.Length;
        if (_dupAtMs[slot] != 0 && _dupIndex.TryGetValue(_dupIds[slot], out int owner) && owner == slot)
        {
            _dupIndex.Remove(_dupIds[slot]);
        }

        _dupIds[slot] = messageId;
        _dupAtMs[slot] = Math.Max(1, nowMs);
        _dupReply[slot] = (byte)reply;
        _dupIndex[messageId] = slot;
    }
}

/// <summary>What a Confirmable exchange carries.</summary>
internal enum CoapExchangeKind : byte
{
    Telemetry,
    Ping,
    ObserveRegistration,
}

internal enum CoapExchangeState : byte
{
    Idle,
    AwaitingAck,
    AwaitingResponse,
}

/// <summary>One Confirmable message until it is answered or given up; pooled by the adapter.</summary>
internal sealed class CoapExchange
{
    public CoapExchangeKind Kind;
    public CoapExchangeState State;
    public CoapDeviceConnection Device = null!;
    public CoapEndpoint Endpoint = null!;
    public CoapObservation? Observation;
    public ushort MessageId;
    public ulong Token;
    public byte[] Buffer = [];
    public int Length;
    public int PayloadLength;
    public int Transmissions;
    public long TimeoutMs;
    public int Generation;

    /// <summary>When the first transmission was sent (<see cref="TimeProvider.GetTimestamp"/>), for the publish latency.</summary>
    public long StartedTimestamp;

    public ReadOnlySpan<byte> Datagram => Buffer.AsSpan(0, Length);
}

internal enum CoapObservationState : byte
{
    Idle,
    Registering,
    Active,
}

/// <summary>One command resource a device observes [RFC 7641].</summary>
internal sealed class CoapObservation(CoapDeviceConnection device, string commandName, string[] path, ulong token)
{
    public CoapDeviceConnection Device { get; } = device;

    public string CommandName { get; } = commandName;

    /// <summary>Uri-Path segments.</summary>
    public string[] Path { get; } = path;

    public ulong Token { get; } = token;

    public CoapObservationState State;
    public CoapExchange? Registration;
    public bool Registered;
    public uint LastSequence;
    public long LastNotificationMs;
    public long FreshUntilMs;
    public int Generation;
    public bool TimerPending;
}
