using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using IoTix.Broker.Observability;
using IoTix.Broker.Sessions;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace IoTix.Broker.Listeners;

/// <summary>
/// Wraps the channel adapter of every accepted connection (TCP, TLS, WebSocket) before MQTTnet sees it, to fix
/// what the server lacks at packet level: client ids for empty MQTT 3.1.1 ids [MQTT-3.1.3-6], the payload size
/// limit (FR-014a), shared subscriptions, and per-listener counters.
/// </summary>
internal sealed class BrokerChannelAdapter : IMqttChannelAdapter
{
    private readonly IMqttChannelAdapter _inner;
    private readonly ListenerCounters _counters;
    private readonly BrokerConnectionContext _context;
    private readonly int _maxPayloadBytes;
    private readonly SharedSubscriptionRegistry _shared;
    private readonly MessageExpiry _expiry;
    private ConcurrentQueue<MqttPacket>? _syntheticAcknowledgements;
    private readonly Func<string, MqttConnAckPacket, Task>? _connAckHook;
    private readonly BrokerTrace _trace;
    private long _bytesReceivedSeen;
    private long _bytesSentSeen;
    private string? _clientId;
    private readonly bool _ownsInner;
    private bool _connected;

    public BrokerChannelAdapter(IMqttChannelAdapter inner, ListenerCounters counters, BrokerConnectionContext context, int maxPayloadBytes, SharedSubscriptionRegistry shared, MessageExpiry expiry, BrokerTrace trace, Func<string, MqttConnAckPacket, Task>? connAckHook, bool ownsInner)
    {
        _ownsInner = ownsInner;
        _inner = inner;
        _counters = counters;
        _context = context;
        _maxPayloadBytes = maxPayloadBytes;
        _shared = shared;
        _expiry = expiry;
        _connAckHook = connAckHook;
        _trace = trace;
    }

    public BrokerConnectionContext Context => _context;

    public long BytesReceived => _inner.BytesReceived;

    public long BytesSent => _inner.BytesSent;

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
        FlushByteCounters();
        if (_connected)
        {
            _connected = false;
            _counters.Disconnected();
        }

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
            await _inner.SendPacketAsync(new MqttConnAckPacket { ReturnCode = MqttConnectReturnCode.ConnectionRefusedIdentifierRejected, ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid }, cancellationToken).ConfigureAwait(false);
            _counters.Rejected();
            _context.ProtocolViolation = exception.Message;
            return null!;
        }

        FlushByteCounters();
        switch (packet)
        {
            case MqttPublishPacket publish:
                _counters.MessageReceived();
                if (publish.Payload.Length > _maxPayloadBytes)
                {
                    await RejectOversizedPublishAsync(publish, cancellationToken).ConfigureAwait(false);
                    return null!;
                }

                _expiry.Stamp(publish);

                break;
            case MqttSubscribePacket subscribe when _clientId is not null:
                _shared.OnSubscribe(_clientId, subscribe);
                break;
            case MqttUnsubscribePacket unsubscribe when _clientId is not null:
                _shared.OnUnsubscribe(_clientId, unsubscribe);
                break;
            case MqttConnectPacket connect:
                OnConnect(connect);
                break;
        }

        if (_trace.IsActive && packet is not null)
        {
            _trace.OnPacket(_clientId, inbound: true, packet);
        }

        return packet!;
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

                return Task.CompletedTask;
            }

            packet = wire;
            _counters.MessageSent();
        }

        if (_trace.IsActive)
        {
            _trace.OnPacket(_clientId, inbound: false, packet);
        }
        else if (packet is MqttConnAckPacket connAck && IsSuccess(connAck))
        {
            _connected = true;
            _counters.Connected();
            connAck.SharedSubscriptionAvailable = true;
            if (_connAckHook is not null && _clientId is not null)
            {
                return SendConnAckAfterHookAsync(connAck, _clientId, cancellationToken);
            }
        }

        var task = _inner.SendPacketAsync(packet, cancellationToken);
        if (task.IsCompletedSuccessfully)
        {
            FlushByteCounters();
            return task;
        }

        return AwaitAndCount(task);
    }

    private async Task SendConnAckAfterHookAsync(MqttConnAckPacket connAck, string clientId, CancellationToken cancellationToken)
    {
        // The session exists in MQTTnet now and the client has not been told about it yet: the place to restore a
        // persistent session after a restart and to set Session Present [MQTT-3.2.2-2].
        await _connAckHook!(clientId, connAck).ConfigureAwait(false);
        await _inner.SendPacketAsync(connAck, cancellationToken).ConfigureAwait(false);
        FlushByteCounters();
    }

    private async Task AwaitAndCount(Task send)
    {
        await send.ConfigureAwait(false);
        FlushByteCounters();
    }

    private bool IsSuccess(MqttConnAckPacket connAck) =>
        PacketFormatterAdapter.ProtocolVersion == MqttProtocolVersion.V500
            ? connAck.ReasonCode == MqttConnectReasonCode.Success
            : connAck.ReturnCode == MqttConnectReturnCode.ConnectionAccepted;

    private void OnConnect(MqttConnectPacket connect)
    {
        _context.ProtocolVersion = PacketFormatterAdapter.ProtocolVersion;
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

    private async Task RejectOversizedPublishAsync(MqttPublishPacket publish, CancellationToken cancellationToken)
    {
        _context.RejectedOversizedPayload = publish.Payload.Length;
        if (PacketFormatterAdapter.ProtocolVersion == MqttProtocolVersion.V500)
        {
            // A packet over the server's limit ends the connection with 0x95 Packet too large [MQTT-3.2.2-15];
            // MQTT 3.1.1 has no reason codes, the server just closes the network connection.
            var disconnect = new MqttDisconnectPacket { ReasonCode = MqttDisconnectReasonCode.PacketTooLarge, ReasonString = $"Payload exceeds {_maxPayloadBytes} bytes" };
            try
            {
                await _inner.SendPacketAsync(disconnect, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is IOException or ObjectDisposedException or OperationCanceledException or MQTTnet.Exceptions.MqttCommunicationException)
            {
                // The client may already be gone; the connection ends either way.
            }
        }
    }

    private void FlushByteCounters()
    {
        // Receive and send loops both flush; exchanging the last seen totals keeps the sum of deltas exact.
        var receivedDelta = _inner.BytesReceived - Interlocked.Exchange(ref _bytesReceivedSeen, _inner.BytesReceived);
        var sentDelta = _inner.BytesSent - Interlocked.Exchange(ref _bytesSentSeen, _inner.BytesSent);
        if (receivedDelta != 0 || sentDelta != 0)
        {
            _counters.AddBytes(receivedDelta, sentDelta);
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
