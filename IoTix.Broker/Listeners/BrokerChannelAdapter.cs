using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using IoTix.Broker.DeadLetters;
using IoTix.Broker.Limits;
using IoTix.Broker.Observability;
using IoTix.Broker.Sessions;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IoTix.Broker.Listeners;

/// <summary>
/// Wraps the channel adapter of every accepted connection (TCP, TLS, WebSocket) before MQTTnet sees it, to fix
/// what the server lacks at packet level: client ids for empty MQTT 3.1.1 ids [MQTT-3.1.3-6], the payload and
/// packet size limits (FR-014a), shared subscriptions, message expiry, per-connection counters, and (over the
/// broker's own <see cref="BrokerTcpChannel"/>) when coalesced outgoing packets are flushed.
/// </summary>
/// <remarks>
/// Flush rule: MQTTnet's send loop hands over one packet at a time. A packet is left in the channel's buffer only
/// while another send of this connection is certain to follow: the session queue still holds a message, or an
/// incoming packet that MQTTnet answers (PUBLISH QoS 1/2, PUBREC, PUBREL, SUBSCRIBE, UNSUBSCRIBE, PINGREQ) has not
/// been answered yet, and at most <see cref="MaxDeferredPackets"/> in a row. Otherwise it is written at once, so a
/// lone packet waits for nothing. CONNACK, DISCONNECT and AUTH are always written at once; the channel writes when
/// 64 KiB are buffered.
/// </remarks>
internal sealed class BrokerChannelAdapter : IMqttChannelAdapter, IConnectionCounters
{
    /// <summary>Packets left in the buffer before a write even though more follow: bounds the wait of the first one under backlog.</summary>
    internal const int MaxDeferredPackets = 64;

    private readonly IMqttChannelAdapter _inner;
    private readonly BrokerTcpChannel? _channel;
    private readonly ListenerCounters _counters;
    private readonly BrokerConnectionContext _context;
    private readonly PayloadLimit _limit;
    private readonly uint _serverKeepAliveSeconds;
    private readonly SharedSubscriptionRegistry _shared;
    private readonly MessageExpiry _expiry;
    private ConcurrentQueue<MqttPacket>? _syntheticAcknowledgements;
    private readonly Func<string, MqttConnAckPacket, Task<RestoredSubscriptionIdentifiers?>>? _connAckHook;
    private readonly PersistentSessions? _persistent;
    private Queue<PendingAcknowledgement>? _pendingAcknowledgements;
    private RestoredSubscriptionIdentifiers? _restoredIdentifiers;
    private readonly Func<string, MqttSessionStatus?>? _sessionLookup;
    private readonly BrokerTrace _trace;
    private readonly DeadLetterRecorder _deadLetters;
    private MqttSessionStatus? _session;
    private SemaphoreSlim? _sendQuota;
    private int _receiveMaximum;
    private int _responsesOwed;
    private int _deferredPackets;
    private int _flushScheduled;
    private long _messagesReceived;
    private long _messagesSent;
    private string? _clientId;
    private readonly bool _ownsInner;
    private bool _connected;
    private int _disposed;

    public BrokerChannelAdapter(
        IMqttChannelAdapter inner,
        BrokerTcpChannel? channel,
        ListenerCounters counters,
        BrokerConnectionContext context,
        PayloadLimit limit,
        uint serverKeepAliveSeconds,
        SharedSubscriptionRegistry shared,
        MessageExpiry expiry,
        BrokerTrace trace,
        DeadLetterRecorder deadLetters,
        PersistentSessions? persistent,
        Func<string, MqttConnAckPacket, Task<RestoredSubscriptionIdentifiers?>>? connAckHook,
        Func<string, MqttSessionStatus?>? sessionLookup,
        bool ownsInner)
    {
        _ownsInner = ownsInner;
        _inner = inner;
        _channel = channel;
        _counters = counters;
        _context = context;
        _limit = limit;
        _serverKeepAliveSeconds = serverKeepAliveSeconds;
        _shared = shared;
        _expiry = expiry;
        _persistent = persistent;
        _connAckHook = connAckHook;
        _sessionLookup = sessionLookup;
        _trace = trace;
        _deadLetters = deadLetters;
        counters.Attach(this);
    }

    public BrokerConnectionContext Context => _context;

    public long BytesReceived => _channel?.BytesRead ?? _inner.BytesReceived;

    public long BytesSent => _channel?.BytesWritten ?? _inner.BytesSent;

    long IConnectionCounters.MessagesReceived => Volatile.Read(ref _messagesReceived);

    long IConnectionCounters.MessagesSent => Volatile.Read(ref _messagesSent);

    long IConnectionCounters.BytesReceived => BytesReceived;

    long IConnectionCounters.BytesSent => BytesSent;

    public X509Certificate2 ClientCertificate => _inner.ClientCertificate;

    public EndPoint RemoteEndPoint => _inner.RemoteEndPoint;

    public EndPoint LocalEndPoint => _inner.LocalEndPoint;

    public bool IsSecureConnection => _inner.IsSecureConnection;

    public MqttPacketFormatterAdapter PacketFormatterAdapter => _inner.PacketFormatterAdapter;

    public Task ConnectAsync(CancellationToken cancellationToken) => _inner.ConnectAsync(cancellationToken);

    public Task DisconnectAsync(CancellationToken cancellationToken) => _inner.DisconnectAsync(cancellationToken);

    public void ResetStatistics() => _inner.ResetStatistics();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_connected)
        {
            _connected = false;
            _counters.Disconnected();
        }

        _counters.Detach(this);
        if (_ownsInner)
        {
            _inner.Dispose();
        }
    }

    public async Task<MqttPacket> ReceivePacketAsync(CancellationToken cancellationToken)
    {
        if (_syntheticAcknowledgements is not null && _syntheticAcknowledgements.TryDequeue(out var acknowledgement))
        {
            // An expired copy was never sent: settle MQTTnet's in-flight entry for it (see SendPacketAsync).
            return acknowledgement;
        }

        MqttPacket packet;
        try
        {
            packet = await _inner.ReceivePacketAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (MQTTnet.Exceptions.MqttProtocolViolationException exception) when (_clientId is null && PacketFormatterAdapter.ProtocolVersion is MqttProtocolVersion.V311 or MqttProtocolVersion.V310)
        {
            // MQTTnet's decoder throws on an empty client id with CleanSession=0 before any hook runs; the spec
            // wants CONNACK 0x02 Identifier rejected, then close [MQTT-3.1.3-8].
            await SendNowAsync(new MqttConnAckPacket { ReturnCode = MqttConnectReturnCode.ConnectionRefusedIdentifierRejected, ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid }, cancellationToken).ConfigureAwait(false);
            _counters.Rejected();
            _context.ProtocolViolation = exception.Message;
            return null!;
        }

        if (packet is null)
        {
            if (_channel is { RefusedPacketBytes: > 0 } channel)
            {
                // Refused from its fixed header, before MQTTnet read (or allocated) the body.
                await RejectOversizedAsync(channel.RefusedPacketBytes, "Packet exceeds the Maximum Packet Size", cancellationToken).ConfigureAwait(false);
            }

            return null!;
        }

        switch (packet)
        {
            case MqttPublishPacket publish:
                Volatile.Write(ref _messagesReceived, _messagesReceived + 1);
                var maxPayloadBytes = _limit.MaxPayloadBytes;
                if (publish.Payload.Length > maxPayloadBytes)
                {
                    _deadLetters.Record(DeadLetterReason.PayloadTooLarge, _clientId ?? "", _clientId, publish);
                    await RejectOversizedAsync(publish.Payload.Length, $"Payload exceeds {maxPayloadBytes} bytes", cancellationToken).ConfigureAwait(false);
                    return null!;
                }

                _expiry.Stamp(publish);
                if (publish.QualityOfServiceLevel != MqttQualityOfServiceLevel.AtMostOnce)
                {
                    OweResponse();
                }

                break;
            case MqttSubscribePacket subscribe:
                if (_clientId is not null)
                {
                    RememberSubscribe(subscribe);
                    _shared.OnSubscribe(_clientId, subscribe);
                }

                OweResponse();
                break;
            case MqttUnsubscribePacket unsubscribe:
                if (_clientId is not null)
                {
                    RememberUnsubscribe(unsubscribe);
                    _shared.OnUnsubscribe(_clientId, unsubscribe);
                }

                OweResponse();
                break;
            case MqttPubRecPacket pubRec:
                if (pubRec.ReasonCode >= MqttPubRecReasonCode.UnspecifiedError)
                {
                    ReleaseSendQuota();
                }

                OweResponse();
                break;
            case MqttPubRelPacket or MqttPingReqPacket:
                OweResponse();
                break;
            case MqttPubAckPacket or MqttPubCompPacket:
                ReleaseSendQuota();
                break;
            case MqttConnectPacket connect:
                OnConnect(connect);
                break;
        }

        if (_trace.IsActive)
        {
            _trace.OnPacket(_clientId, inbound: true, packet);
        }

        return packet;
    }

    public Task SendPacketAsync(MqttPacket packet, CancellationToken cancellationToken)
    {
        if (packet is MqttPublishPacket publish)
        {
            var wire = _expiry.PrepareForDelivery(publish);
            if (wire is null)
            {
                // Expired while queued [MQTT-3.3.2-5]: not sent. MQTTnet still waits for the acknowledgement of a
                // QoS 1/2 copy; the receive loop hands it a synthetic one before the client's next packet.
                if (MessageExpiry.SyntheticAcknowledgement(publish) is { } acknowledgement)
                {
                    (_syntheticAcknowledgements ??= new ConcurrentQueue<MqttPacket>()).Enqueue(acknowledgement);
                }

                // It may have been the last of a burst: what earlier packets left in the buffer must still go out.
                if (_channel is not null && IsLastOfBurst(packet))
                {
                    ScheduleFlush();
                }

                return Task.CompletedTask;
            }

            packet = wire;
            _restoredIdentifiers?.AddTo(wire);
            Volatile.Write(ref _messagesSent, _messagesSent + 1);
            if (_sendQuota is not null && wire.QualityOfServiceLevel != MqttQualityOfServiceLevel.AtMostOnce && !_sendQuota.Wait(0))
            {
                return SendWhenQuotaAsync(wire, cancellationToken);
            }
        }
        else if (_pendingAcknowledgements is not null && packet is MqttSubAckPacket or MqttUnsubAckPacket)
        {
            OnAcknowledgement(packet);
        }

        return SendPreparedAsync(packet, cancellationToken);
    }

    private Task SendPreparedAsync(MqttPacket packet, CancellationToken cancellationToken)
    {
        if (_trace.IsActive)
        {
            _trace.OnPacket(_clientId, inbound: false, packet);
        }

        if (packet is MqttConnAckPacket connAck && IsSuccess(connAck))
        {
            _connected = true;
            _counters.Connected();
            connAck.SharedSubscriptionAvailable = true;
            if (PacketFormatterAdapter.ProtocolVersion == MqttProtocolVersion.V500)
            {
                // Announced so that MQTT 5 clients do not send what would be refused [MQTT-3.2.2-15].
                connAck.MaximumPacketSize = (uint)_limit.MaxPacketBytes;
                if (_serverKeepAliveSeconds > 0)
                {
                    // Server Keep Alive: the client MUST use it instead of its own [MQTT-3.2.2-21]; enforced in OnConnect.
                    connAck.ServerKeepAlive = (ushort)_serverKeepAliveSeconds;
                }
            }

            var clientId = _clientId ?? connAck.AssignedClientIdentifier;
            if (clientId is not null && (_connAckHook is not null || _sessionLookup is not null))
            {
                return SendConnAckAsync(connAck, clientId, cancellationToken);
            }
        }

        var send = _inner.SendPacketAsync(packet, cancellationToken);
        if (_channel is null)
        {
            return send;
        }

        var flush = IsLastOfBurst(packet);
        if (send.IsCompletedSuccessfully)
        {
            return flush ? FlushAfterAsync(packet, cancellationToken) : send;
        }

        return SendThenFlushAsync(send, flush, packet, cancellationToken);
    }

    /// <summary>
    /// The last packet of a burst was buffered. Flow packets (PUBLISH, acknowledgements, PINGRESP) are written by a
    /// flush queued to the thread pool rather than at once: MQTTnet's loops yield after every packet, so packets that
    /// become ready meanwhile (a publisher's next messages dispatched to this subscriber, the next PUBACKs) join the same
    /// write. Nothing waits for a timer: the flush runs as soon as the pool reaches it. Other packets (DISCONNECT, AUTH)
    /// are written at once, before the connection may close.
    /// </summary>
    private Task FlushAfterAsync(MqttPacket packet, CancellationToken cancellationToken)
    {
        if (packet is MqttPublishPacket or MqttPubAckPacket or MqttPubRecPacket or MqttPubRelPacket or MqttPubCompPacket or MqttSubAckPacket or MqttUnsubAckPacket or MqttPingRespPacket)
        {
            ScheduleFlush();
            return Task.CompletedTask;
        }

        return _channel!.FlushAsync(cancellationToken);
    }

    /// <summary>Queues one flush (at most one waits at a time; packets written before it runs go with it).</summary>
    private void ScheduleFlush()
    {
        if (Interlocked.Exchange(ref _flushScheduled, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static adapter => adapter.RunScheduledFlush(), this, preferLocal: false);
        }
    }

    private void RunScheduledFlush()
    {
        // Cleared before the write: a packet buffered from now on schedules the next flush.
        Volatile.Write(ref _flushScheduled, 0);
        var flush = _channel!.FlushAsync(CancellationToken.None);
        if (!flush.IsCompletedSuccessfully)
        {
            _ = CloseOnFlushFailureAsync(flush);
        }
    }

    /// <summary>
    /// A scheduled flush that fails means the connection is broken: closing the channel ends MQTTnet's receive loop,
    /// which ends the connection and logs its disconnect (the fault path of this queued work).
    /// </summary>
    private async Task CloseOnFlushFailureAsync(Task flush)
    {
        try
        {
            await flush.ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or OperationCanceledException or MQTTnet.Exceptions.MqttCommunicationException or System.Net.Sockets.SocketException)
        {
            _channel!.Dispose();
        }
    }

    /// <summary>An incoming packet MQTTnet will answer (only tracked where sends are coalesced).</summary>
    private void OweResponse()
    {
        if (_channel is not null)
        {
            Interlocked.Increment(ref _responsesOwed);
        }
    }

    /// <summary>True when no further send of this connection is certain to follow <paramref name="packet"/> (see remarks).</summary>
    private bool IsLastOfBurst(MqttPacket packet)
    {
        int owed;
        switch (packet)
        {
            case MqttPublishPacket:
                owed = Volatile.Read(ref _responsesOwed);
                break;
            case MqttPubAckPacket or MqttPubRecPacket or MqttPubRelPacket or MqttPubCompPacket or MqttSubAckPacket or MqttUnsubAckPacket or MqttPingRespPacket:
                owed = Interlocked.Decrement(ref _responsesOwed);
                break;
            default:
                return true;
        }

        // A queued message is dequeued by MQTTnet's send loop right after this packet.
        if ((owed > 0 || _session is { PendingApplicationMessagesCount: > 0 }) && ++_deferredPackets < MaxDeferredPackets)
        {
            return false;
        }

        _deferredPackets = 0;
        return true;
    }

    private async Task SendThenFlushAsync(Task send, bool flush, MqttPacket packet, CancellationToken cancellationToken)
    {
        await send.ConfigureAwait(false);
        if (flush)
        {
            await FlushAfterAsync(packet, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends a packet outside MQTTnet's send loop and writes it at once.</summary>
    private async Task SendNowAsync(MqttPacket packet, CancellationToken cancellationToken)
    {
        await _inner.SendPacketAsync(packet, cancellationToken).ConfigureAwait(false);
        if (_channel is not null)
        {
            await _channel.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SendConnAckAsync(MqttConnAckPacket connAck, string clientId, CancellationToken cancellationToken)
    {
        // The session exists in MQTTnet now and the client has not been told about it yet: the place to restore a
        // persistent session after a restart and to set Session Present [MQTT-3.2.2-2].
        if (_connAckHook is not null)
        {
            _restoredIdentifiers = await _connAckHook(clientId, connAck).ConfigureAwait(false);
        }

        if (_channel is not null)
        {
            _session = _sessionLookup?.Invoke(clientId);
        }

        await SendNowAsync(connAck, cancellationToken).ConfigureAwait(false);
    }

    private bool IsSuccess(MqttConnAckPacket connAck) =>
        PacketFormatterAdapter.ProtocolVersion == MqttProtocolVersion.V500
            ? connAck.ReasonCode == MqttConnectReasonCode.Success
            : connAck.ReturnCode == MqttConnectReturnCode.ConnectionAccepted;

    /// <summary>
    /// The client's Receive Maximum is reached [MQTT-3.3.4-9]: what is buffered goes out (it holds the publishes whose
    /// acknowledgements free the quota), then this PUBLISH waits for one. MQTTnet's send loop of this connection waits with it.
    /// </summary>
    private async Task SendWhenQuotaAsync(MqttPublishPacket publish, CancellationToken cancellationToken)
    {
        if (_channel is not null)
        {
            await _channel.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        await _sendQuota!.WaitAsync(cancellationToken).ConfigureAwait(false);
        await SendPreparedAsync(publish, cancellationToken).ConfigureAwait(false);
    }

    private void ReleaseSendQuota()
    {
        var quota = _sendQuota;
        if (quota is not null && quota.CurrentCount < _receiveMaximum)
        {
            quota.Release();
        }
    }

    /// <summary>
    /// Keeps a SUBSCRIBE as the client sent it (before shared filters are rewritten) until its SUBACK says what was
    /// granted: what a persistent session stores. A restored identifier of a filter subscribed again is MQTTnet's now.
    /// </summary>
    private void RememberSubscribe(MqttSubscribePacket subscribe)
    {
        if (_restoredIdentifiers is not null)
        {
            foreach (var filter in subscribe.TopicFilters)
            {
                _restoredIdentifiers.Forget(filter.Topic);
            }
        }

        if (_persistent is null)
        {
            return;
        }

        var requested = new List<MqttTopicFilter>(subscribe.TopicFilters.Count);
        foreach (var filter in subscribe.TopicFilters)
        {
            requested.Add(PersistentSessions.CopyOf(filter, filter.RetainHandling));
        }

        EnqueueAcknowledgement(new PendingAcknowledgement(subscribe.PacketIdentifier, requested, null, subscribe.SubscriptionIdentifier));
    }

    private void RememberUnsubscribe(MqttUnsubscribePacket unsubscribe)
    {
        if (_restoredIdentifiers is not null)
        {
            foreach (var topic in unsubscribe.TopicFilters)
            {
                _restoredIdentifiers.Forget(topic);
            }
        }

        if (_persistent is not null)
        {
            EnqueueAcknowledgement(new PendingAcknowledgement(unsubscribe.PacketIdentifier, null, [.. unsubscribe.TopicFilters], 0));
        }
    }

    private void EnqueueAcknowledgement(PendingAcknowledgement pending)
    {
        var queue = _pendingAcknowledgements ??= new Queue<PendingAcknowledgement>();
        lock (queue)
        {
            queue.Enqueue(pending);
        }
    }

    /// <summary>A SUBACK or UNSUBACK goes out (in the order of their requests): the persistent session stores the outcome.</summary>
    private void OnAcknowledgement(MqttPacket packet)
    {
        var queue = _pendingAcknowledgements!;
        PendingAcknowledgement? pending;
        lock (queue)
        {
            if (!queue.TryDequeue(out pending))
            {
                return;
            }
        }

        switch (packet)
        {
            case MqttSubAckPacket subAck when pending.Subscribe is not null && subAck.PacketIdentifier == pending.PacketIdentifier:
                _persistent!.OnSubscribeAcknowledged(_clientId!, pending.Subscribe, pending.SubscriptionIdentifier, subAck.ReasonCodes);
                break;
            case MqttUnsubAckPacket unsubAck when pending.Unsubscribe is not null && unsubAck.PacketIdentifier == pending.PacketIdentifier:
                _persistent!.OnUnsubscribeAcknowledged(_clientId!, pending.Unsubscribe);
                break;
        }
    }

    private void OnConnect(MqttConnectPacket connect)
    {
        _context.ProtocolVersion = PacketFormatterAdapter.ProtocolVersion;
        if (_context.ProtocolVersion == MqttProtocolVersion.V500 && connect.ReceiveMaximum is > 0 and < ushort.MaxValue)
        {
            // MQTTnet ignores the client's Receive Maximum (3.3.4 Flow Control); QoS 1/2 deliveries are held here instead.
            _receiveMaximum = connect.ReceiveMaximum;
            _sendQuota = new SemaphoreSlim(_receiveMaximum, _receiveMaximum);
        }

        if (_context.ProtocolVersion == MqttProtocolVersion.V500 && _serverKeepAliveSeconds > 0)
        {
            // MQTTnet's keep-alive monitor reads the CONNECT's Keep Alive (closes after 1.5 times it without a packet
            // [MQTT-3.1.2-22]): with a Server Keep Alive in the CONNACK, that value is the one the client uses.
            connect.KeepAlivePeriod = (ushort)_serverKeepAliveSeconds;
        }

        if (_context.ProtocolVersion == MqttProtocolVersion.V500 && connect.WillFlag && connect.WillDelayInterval > 0)
        {
            // MQTTnet publishes the will at once; the broker takes it over to honour the Will Delay Interval
            // (3.1.3.2.2): published after the delay, or not at all if the client reconnects first.
            _context.DelayedWill = new MqttApplicationMessage
            {
                Topic = connect.WillTopic,
                Payload = new System.Buffers.ReadOnlySequence<byte>(connect.WillMessage ?? []),
                QualityOfServiceLevel = connect.WillQoS,
                Retain = connect.WillRetain,
                ContentType = connect.WillContentType,
                ResponseTopic = connect.WillResponseTopic,
                CorrelationData = connect.WillCorrelationData,
                MessageExpiryInterval = connect.WillMessageExpiryInterval,
                PayloadFormatIndicator = connect.WillPayloadFormatIndicator,
                UserProperties = connect.WillUserProperties,
            };
            _context.WillDelaySeconds = connect.WillDelayInterval;
            connect.WillFlag = false;
        }

        if (string.IsNullOrEmpty(connect.ClientId))
        {
            // MQTT 3.1.1: a zero-byte client id with CleanSession=1 gets a server-assigned id [MQTT-3.1.3-6];
            // with CleanSession=0 it is refused (0x02 Identifier rejected) [MQTT-3.1.3-8], which MQTTnet does.
            // MQTT 5 clients get theirs through the Assigned Client Identifier of the CONNACK (see the validation hook).
            if (_context.ProtocolVersion != MqttProtocolVersion.V500 && connect.CleanSession)
            {
                connect.ClientId = ClientIdentifiers.Assign();
                _context.AssignedClientId = connect.ClientId;
            }
        }

        _clientId = string.IsNullOrEmpty(connect.ClientId) ? null : connect.ClientId;
        if (_clientId is not null && connect.CleanSession)
        {
            _shared.OnCleanStart(_clientId);
        }
    }

    private async Task RejectOversizedAsync(long bytes, string reason, CancellationToken cancellationToken)
    {
        _context.RejectedOversizedPayload = bytes;
        if (PacketFormatterAdapter.ProtocolVersion == MqttProtocolVersion.V500)
        {
            // A packet over the server's limit ends the connection with 0x95 Packet too large [MQTT-3.2.2-15];
            // MQTT 3.1.1 has no reason codes, the server just closes the network connection.
            var disconnect = new MqttDisconnectPacket { ReasonCode = MqttDisconnectReasonCode.PacketTooLarge, ReasonString = reason };
            try
            {
                await SendNowAsync(disconnect, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is IOException or ObjectDisposedException or OperationCanceledException or MQTTnet.Exceptions.MqttCommunicationException or System.Net.Sockets.SocketException)
            {
                // The client may already be gone; the connection ends either way.
            }
        }
    }
}

/// <summary>What the listener learned about a connection, readable by the server hooks through the endpoint.</summary>
internal sealed class BrokerConnectionContext(string listener)
{
    public string Listener { get; } = listener;

    public MqttProtocolVersion ProtocolVersion { get; set; }

    public string? AssignedClientId { get; set; }

    public long RejectedOversizedPayload { get; set; }

    public string? ProtocolViolation { get; set; }

    /// <summary>An MQTT 5 will with a Will Delay Interval, published by the broker instead of MQTTnet.</summary>
    public MqttApplicationMessage? DelayedWill { get; set; }

    public uint WillDelaySeconds { get; set; }
}

/// <summary>A SUBSCRIBE (filters as sent) or UNSUBSCRIBE waiting for its acknowledgement.</summary>
internal sealed record PendingAcknowledgement(ushort PacketIdentifier, List<MqttTopicFilter>? Subscribe, List<string>? Unsubscribe, uint SubscriptionIdentifier);

