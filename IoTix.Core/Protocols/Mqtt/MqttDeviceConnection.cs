using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using IoTix.Core.Generators;

namespace IoTix.Core.Protocols.Mqtt;

/// <summary>
/// One device's MQTT connection, lean by design: a socket (plus an <c>SslStream</c> with TLS), no
/// thread, timer or channel of its own. <see cref="TryPublish"/> encodes the PUBLISH into a pooled
/// buffer and queues it (bounded, with the context's overflow behaviour); a thread-pool work item
/// (the connection itself) batches queued packets into one send. A receive loop waits with a
/// zero-byte read, so an idle connection holds no receive buffer. Keep-alive, connect deadlines and
/// reconnect delays run on the adapter's one clock.
/// </summary>
internal sealed class MqttDeviceConnection : IDeviceConnection, IThreadPoolWorkItem
{
    private const int StateIdle = 0;
    private const int StateConnecting = 1;
    private const int StateConnected = 2;
    private const int StateLost = 3;
    private const int StateClosing = 4;
    private const int StateDisposed = 5;

    private const byte StageFree = 0;
    private const byte StageAwaitPubAck = 1;
    private const byte StageAwaitPubRec = 2;
    private const byte StageAwaitPubComp = 3;

    private static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Shared;

    private readonly MqttProtocolAdapter _adapter;
    private readonly DeviceConnectionContext _context;
    private readonly MqttDeviceSettings _settings;
    private readonly Lock _gate = new();
    private DeviceRandom _random;

    private int _state;
    private int _generation;
    private int _connectEpoch;
    private bool _lostUnexpectedly;
    private bool _registered;

    // transport of the current generation
    private Socket? _socket;
    private SslStream? _ssl;
    private string _endpoint = string.Empty;

    // connect handshake
    private TaskCompletionSource<ConnectResult>? _handshake;
    private TaskCompletionSource<bool>? _delay;
    private long _deadlineMs;
    private string _stage = string.Empty;
    private bool _permanentFailure;
    private ushort _subscribeId;
    private string? _tlsError;

    // limits from CONNACK
    private int _window;
    private int _maxQos = 2;
    private bool _retainAvailable = true;
    private int _maxPacketSize = int.MaxValue;
    private int _keepAliveMs;
    private string? _assignedClientId;

    // outbound: queued PUBLISH packets (not yet written) and control packets
    private OutboundEntry[]? _queue;
    private int _queueHead;
    private int _queueCount;
    private byte[]? _control;
    private int _controlLength;
    private bool _flushScheduled;
    private bool _sendDisconnect;
    private bool _drainExpired;
    private TaskCompletionSource? _disconnectWritten;

    // QoS 1/2 sent, not yet acknowledged (kept across reconnects of a persistent session)
    private InflightEntry[]? _inflight;
    private int _inflightHead;
    private int _inflightCount;
    private ushort _lastPacketId;

    // received QoS 2 packet ids awaiting PUBREL
    private ushort[]? _qos2Ids;
    private int _qos2Count;

    // keep-alive (adapter clock milliseconds)
    private long _lastSentMs;
    private long _pingSentMs = -1;

    private byte[][]? _commandFilters;

    // MQTT 5 PUBLISH property block of this device (user properties rendered once, at the first connect)
    private byte[]? _publishProperties;

    public MqttDeviceConnection(MqttProtocolAdapter adapter, DeviceConnectionContext context, MqttDeviceSettings settings)
    {
        _adapter = adapter;
        _context = context;
        _settings = settings;
        _random = DeviceRandom.For(0x4D51_5454, context.DeviceId, stream: 0x7FFF_0201);
    }

    internal int Slot = -1;

    internal string DeviceId => _context.DeviceId;

    public bool IsConnected => Volatile.Read(ref _state) == StateConnected;

    // ------------------------------------------------------------------ connect

    public ValueTask<ConnectResult> ConnectAsync(CancellationToken cancellationToken = default)
    {
        if (_settings.Error is { } settingsError)
        {
            Interlocked.Increment(ref _adapter.ConnectFailuresCounter);
            return ValueTask.FromResult(ConnectResult.Failure($"model '{_context.Model.Id}': {settingsError}"));
        }

        int epoch;
        bool reconnecting;
        lock (_gate)
        {
            switch (_state)
            {
                case StateDisposed:
                    return ValueTask.FromResult(ConnectResult.Failure("connection disposed"));
                case StateConnected:
                    return ValueTask.FromResult(ConnectResult.Success);
                case StateConnecting:
                    return ValueTask.FromResult(ConnectResult.Failure("a connect is already in progress"));
                case StateClosing:
                    CloseTransportLocked();
                    break;
            }

            if (!_registered)
            {
                _registered = true;
                _adapter.Register(this);
                _publishProperties = _settings.DevicePublishProperties(_context);
            }

            _state = StateConnecting;
            epoch = ++_connectEpoch;
            reconnecting = _lostUnexpectedly;
            _permanentFailure = false;
        }

        _adapter.Clock.EnsureStarted();
        return ConnectCoreAsync(epoch, reconnecting, cancellationToken);
    }

    private async ValueTask<ConnectResult> ConnectCoreAsync(int epoch, bool reconnecting, CancellationToken cancellationToken)
    {
        // Socket creation, bind and connect are system calls: never on the caller's (scheduler's) thread.
        await Task.Yield();
        var policy = _adapter.Options.Reconnect;
        int attempt = reconnecting ? 1 : 0;
        while (true)
        {
            if (attempt > 0)
            {
                long delayMs = ReconnectBackoff.DelayMs(policy, attempt, ref _random);
                MqttProtocolAdapter.LogReconnectScheduled(_adapter.Logger, DeviceId, attempt, delayMs);
                var delay = _adapter.Clock.Delay(delayMs);
                lock (_gate)
                {
                    if (epoch != _connectEpoch)
                    {
                        return ConnectResult.Failure("connect cancelled");
                    }

                    _delay = delay;
                }

                using (cancellationToken.UnsafeRegister(static s => ((TaskCompletionSource<bool>)s!).TrySetResult(false), delay))
                {
                    if (!await delay.Task.ConfigureAwait(false) || epoch != Volatile.Read(ref _connectEpoch))
                    {
                        return ConnectResult.Failure("connect cancelled");
                    }
                }
            }

            var result = await ConnectOnceAsync(epoch, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                return result;
            }

            Interlocked.Increment(ref _adapter.ConnectFailuresCounter);
            MqttProtocolAdapter.LogConnectFailed(_adapter.Logger, DeviceId, result.Error ?? string.Empty);
            // A reconnect retries per the policy; a first connect retries transient failures (a SYN dropped
            // by a full listen backlog, a timeout) a few times, so an unreachable broker still fails fast.
            bool retry = policy.Enabled && !_permanentFailure && !cancellationToken.IsCancellationRequested
                && (reconnecting
                    ? policy.MaxAttempts == 0 || attempt < policy.MaxAttempts
                    : attempt + 1 < policy.FirstConnectAttempts);
            lock (_gate)
            {
                if (epoch != _connectEpoch)
                {
                    return result;
                }

                if (!retry)
                {
                    _state = StateIdle;
                    _lostUnexpectedly = false;
                    string suffix = reconnecting && attempt > 1 ? $" (after {attempt} reconnect attempts)" : string.Empty;
                    return ConnectResult.Failure(result.Error + suffix);
                }
            }

            attempt++;
        }
    }

    private async ValueTask<ConnectResult> ConnectOnceAsync(int epoch, CancellationToken cancellationToken)
    {
        if (!_adapter.Endpoints.TryResolve(_context.Model, _context.EndpointOverride, out var endpoint, out var endpointError))
        {
            _permanentFailure = true;
            return ConnectResult.Failure(endpointError!);
        }

        var (address, dnsError) = await _adapter.ResolveAsync(endpoint.Host).ConfigureAwait(false);
        if (address is null)
        {
            return ConnectResult.Failure(dnsError!);
        }

        Socket socket;
        int gen;
        TaskCompletionSource<ConnectResult> handshake;
        lock (_gate)
        {
            if (epoch != _connectEpoch)
            {
                return ConnectResult.Failure("connect cancelled");
            }

            socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            gen = ++_generation;
            _socket = socket;
            _ssl = null;
            _endpoint = endpoint.ToString();
            _stage = "TCP connect";
            _tlsError = null;
            _deadlineMs = _adapter.Clock.NowMs + _adapter.Options.ConnectTimeoutMs;
            // Completed outside the lock and WITHOUT RunContinuationsAsynchronously: on success the
            // engine's continuation queues "connected" before this connection's receive loop goes on
            // to deliver commands a persistent session had queued (the engine ignores commands for
            // devices that are not running yet).
            handshake = _handshake = new TaskCompletionSource<ConnectResult>();
            Interlocked.Increment(ref _adapter.OpenCounter);
        }

        try
        {
            if (_adapter.LocalAddressFor(_context.Index, address.AddressFamily) is { } local)
            {
                if (OperatingSystem.IsLinux())
                {
                    // IP_BIND_ADDRESS_NO_PORT: the port is chosen at connect() per 4-tuple, not reserved by bind().
                    socket.SetRawSocketOption(0, 24, [1, 0, 0, 0]);
                }

                socket.Bind(new IPEndPoint(local, 0));
            }

            await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken).ConfigureAwait(false);
            SslStream? ssl = null;
            if (_settings.Tls)
            {
                lock (_gate)
                {
                    _stage = "TLS handshake";
                }

                ssl = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsClientAsync(TlsOptions(endpoint.Host), cancellationToken).ConfigureAwait(false);
            }

            lock (_gate)
            {
                if (gen != _generation)
                {
                    ssl?.Dispose();
                    return handshake.Task.IsCompleted ? handshake.Task.Result : ConnectResult.Failure("connect cancelled");
                }

                _ssl = ssl;
                _stage = "CONNACK";
                AppendConnectLocked();
                ScheduleFlushLocked();
            }

            _ = ReceiveLoopAsync(gen, socket, ssl);
        }
        catch (Exception ex) when (ex is SocketException or IOException or AuthenticationException or ObjectDisposedException or OperationCanceledException)
        {
            string reason;
            bool closedElsewhere;
            lock (_gate)
            {
                closedElsewhere = gen != _generation;
            }

            if (closedElsewhere)
            {
                // A deadline, a cancel or a disconnect closed the socket; it says why.
                return await handshake.Task.ConfigureAwait(false);
            }

            lock (_gate)
            {
                reason = ex switch
                {
                    SocketException se => $"TCP connect to {_endpoint} failed: {se.SocketErrorCode}",
                    AuthenticationException ae => $"TLS handshake with {_endpoint} failed: {_tlsError ?? ae.Message}",
                    OperationCanceledException => "connect cancelled",
                    _ => $"{_stage} with {_endpoint} failed: {ex.Message}",
                };
                if (gen == _generation)
                {
                    CloseTransportLocked();
                }
            }

            return ConnectResult.Failure(reason);
        }

        var result = await handshake.Task.ConfigureAwait(false);
        if (!result.Succeeded)
        {
            lock (_gate)
            {
                if (gen == _generation)
                {
                    CloseTransportLocked();
                }
            }
        }

        return result;
    }

    private SslClientAuthenticationOptions TlsOptions(string host)
    {
        var settings = _settings;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = host,
            EnabledSslProtocols = SslProtocols.None, // the operating system's choice (TLS 1.2/1.3)
            RemoteCertificateValidationCallback = (_, certificate, _, errors) => ValidateServerCertificate(certificate, errors),
        };
        if (settings.ClientCertificate is { } client)
        {
            options.ClientCertificateContext = SslStreamCertificateContext.Create(client, additionalCertificates: null, offline: true);
        }

        return options;
    }

    private bool ValidateServerCertificate(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (_settings.AllowUntrusted)
        {
            return true;
        }

        if (certificate is null)
        {
            _tlsError = "the server sent no certificate";
            return false;
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            _tlsError = $"the server certificate ({certificate.Subject}) does not name the host {_endpoint}";
            return false;
        }

        if (_settings.CaCertificate is not { } ca)
        {
            if (errors == SslPolicyErrors.None)
            {
                return true;
            }

            _tlsError = $"the server certificate ({certificate.Subject}) is not trusted by the system store ({errors}); set connection.tls.caFile";
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var server = new X509Certificate2(certificate);
        if (chain.Build(server))
        {
            return true;
        }

        var status = new StringBuilder();
        foreach (var s in chain.ChainStatus)
        {
            status.Append(status.Length == 0 ? string.Empty : ", ").Append(s.Status);
        }

        _tlsError = $"the server certificate ({certificate.Subject}, issuer {certificate.Issuer}) is not signed by caFile {_settings.CaFile} ({status})";
        return false;
    }

    /// <summary>Queues CONNECT [MQTT-3.1] as the first control packet of the transport.</summary>
    private void AppendConnectLocked()
    {
        var s = _settings;
        bool v5 = s.V5;
        string clientId = _assignedClientId ?? _context.ClientId;
        // The host's credentials (encoded once) replace the model's; else the model's user name is rendered for the device.
        var credentials = _context.CredentialsOverride;
        string? username = credentials is null && s.Username is { } u ? _context.Render(u.Source) : null;
        if (username is not null && !MqttDeviceSettings.TryRenderSecret(username, out username, out _))
        {
            username = null;
        }

        ReadOnlySpan<byte> usernameBytes = credentials is not null ? credentials.UsernameUtf8.Span : default;
        bool hasUsername = credentials is not null || username is not null;
        ReadOnlySpan<byte> password = credentials is not null ? credentials.Password.Span : s.Password;
        bool hasPassword = credentials is not null || s.Password is not null;

        var will = s.Will;
        string? willTopic = will is null ? null : _context.RenderTopic(will.Topic);
        string? willPayload = will is null ? null : _context.Render(MqttDeviceSettings.WillPayload(will));

        int props = 0;
        if (v5)
        {
            if (!s.CleanSession)
            {
                props += 5; // Session Expiry Interval
            }

            props += 5; // Maximum Packet Size [MQTT-3.1.2-24]
        }

        int willProps = v5 && will?.DelaySeconds is not null ? 5 : 0;
        int remaining = 10 + (v5 ? MqttPacketWriter.VarIntSize(props) + props : 0) + 2 + Encoding.UTF8.GetByteCount(clientId);
        if (will is not null)
        {
            remaining += (v5 ? MqttPacketWriter.VarIntSize(willProps) + willProps : 0) + 2 + Encoding.UTF8.GetByteCount(willTopic!) + 2 + Encoding.UTF8.GetByteCount(willPayload!);
        }

        if (hasUsername)
        {
            remaining += 2 + (username is not null ? Encoding.UTF8.GetByteCount(username) : usernameBytes.Length);
        }

        if (hasPassword)
        {
            remaining += 2 + password.Length;
        }

        var span = ReserveControlLocked(1 + MqttPacketWriter.VarIntSize(remaining) + remaining);
        span[0] = (int)MqttPacketType.Connect << 4;
        int o = 1 + MqttPacketWriter.WriteVarInt(span[1..], remaining);
        o += MqttPacketWriter.WriteString(span[o..], "MQTT");
        span[o++] = v5 ? (byte)5 : (byte)4;
        int flags = s.CleanSession ? 0x02 : 0;
        if (will is not null)
        {
            flags |= 0x04 | (will.Qos << 3) | (will.Retain ? 0x20 : 0);
        }

        flags |= hasPassword ? 0x40 : 0;
        flags |= hasUsername ? 0x80 : 0;
        span[o++] = (byte)flags;
        o += MqttPacketWriter.WriteUInt16(span[o..], s.KeepAliveSeconds);
        if (v5)
        {
            o += MqttPacketWriter.WriteVarInt(span[o..], props);
            if (!s.CleanSession)
            {
                span[o++] = MqttProperty.SessionExpiryInterval;
                BinaryPrimitives.WriteUInt32BigEndian(span[o..], (uint)_adapter.Options.SessionExpirySeconds);
                o += 4;
            }

            span[o++] = MqttProperty.MaximumPacketSize;
            BinaryPrimitives.WriteUInt32BigEndian(span[o..], (uint)_adapter.Options.MaxIncomingPacketSize);
            o += 4;
        }

        o += MqttPacketWriter.WriteString(span[o..], clientId);
        if (will is not null)
        {
            if (v5)
            {
                o += MqttPacketWriter.WriteVarInt(span[o..], willProps);
                if (willProps > 0)
                {
                    span[o++] = MqttProperty.WillDelayInterval;
                    BinaryPrimitives.WriteUInt32BigEndian(span[o..], (uint)will.DelaySeconds!.Value);
                    o += 4;
                }
            }

            o += MqttPacketWriter.WriteString(span[o..], willTopic!);
            o += MqttPacketWriter.WriteString(span[o..], willPayload!);
        }

        if (username is not null)
        {
            o += MqttPacketWriter.WriteString(span[o..], username);
        }
        else if (hasUsername)
        {
            o += MqttPacketWriter.WriteBinary(span[o..], usernameBytes);
        }

        if (hasPassword)
        {
            MqttPacketWriter.WriteBinary(span[o..], password);
        }

        _keepAliveMs = s.KeepAliveSeconds * 1000;
        _maxQos = 2;
        _retainAvailable = true;
        _maxPacketSize = int.MaxValue;
        _window = _adapter.Options.InflightWindow;
        _lastSentMs = _adapter.Clock.NowMs;
        _pingSentMs = -1;
    }

    /// <summary>CONNACK [MQTT-3.2]: a refusal fails the connect with the reason; an acceptance applies the server's limits.</summary>
    private bool OnConnAck(int gen, ReadOnlySpan<byte> body)
    {
        var reader = new MqttPacketReader(body);
        if (!reader.TryReadByte(out byte ackFlags) || !reader.TryReadByte(out byte code))
        {
            return Abort(gen, "malformed CONNACK");
        }

        bool v5 = _settings.V5;
        int receiveMaximum = 65_535;
        string? reasonString = null;
        if (v5 && reader.Remaining > 0)
        {
            if (!reader.TryReadVarInt(out int length) || length > reader.Remaining)
            {
                return Abort(gen, "malformed CONNACK properties");
            }

            var props = new MqttPacketReader(reader.Rest[..length]);
            while (props.Remaining > 0)
            {
                props.TryReadByte(out byte id);
                bool ok = true;
                switch (id)
                {
                    case MqttProperty.ReceiveMaximum:
                        ok = props.TryReadUInt16(out ushort rm);
                        receiveMaximum = rm == 0 ? 65_535 : rm;
                        break;
                    case MqttProperty.MaximumQos:
                        ok = props.TryReadByte(out byte mq);
                        _maxQos = mq;
                        break;
                    case MqttProperty.RetainAvailable:
                        ok = props.TryReadByte(out byte ra);
                        _retainAvailable = ra != 0;
                        break;
                    case MqttProperty.MaximumPacketSize:
                        ok = props.TryReadUInt32(out uint mps);
                        _maxPacketSize = mps is 0 or > int.MaxValue ? int.MaxValue : (int)mps;
                        break;
                    case MqttProperty.ServerKeepAlive:
                        // The client uses the server's keep alive instead of its own [MQTT-3.1.2-21].
                        ok = props.TryReadUInt16(out ushort ska);
                        _keepAliveMs = ska * 1000;
                        break;
                    case MqttProperty.AssignedClientIdentifier:
                        ok = props.TryReadPrefixed(out var assigned);
                        _assignedClientId = _settings.CleanSession ? null : Encoding.UTF8.GetString(assigned);
                        break;
                    case MqttProperty.ReasonString:
                        ok = props.TryReadPrefixed(out var rs);
                        reasonString = Encoding.UTF8.GetString(rs);
                        break;
                    default:
                        ok = props.TrySkipProperty(id);
                        break;
                }

                if (!ok)
                {
                    return Abort(gen, "malformed CONNACK properties");
                }
            }
        }

        if (code != 0)
        {
            _permanentFailure = MqttReasonCodes.IsPermanentConnectFailure(code, v5);
            string reason = v5 ? MqttReasonCodes.ReasonCode(code) : MqttReasonCodes.ConnectReturnCode(code);
            return Abort(gen, $"{_endpoint} refused the connection: CONNACK {reason}{(reasonString is null ? string.Empty : $" ({reasonString})")}");
        }

        bool sessionPresent = (ackFlags & 0x01) != 0;
        int resent = 0;
        TaskCompletionSource<ConnectResult>? done;
        lock (_gate)
        {
            if (gen != _generation)
            {
                return false;
            }

            _window = Math.Min(_adapter.Options.InflightWindow, receiveMaximum);
            if (sessionPresent)
            {
                resent = RetransmitLocked();
                if (resent > 0)
                {
                    ScheduleFlushLocked();
                }
            }
            else
            {
                // No session on the server: this client's session state is void [MQTT-3.2.2-5 (5.0), MQTT-4.1.0-1].
                ClearInflightLocked();
                _qos2Count = 0;
            }

            MqttProtocolAdapter.LogConnected(_adapter.Logger, DeviceId, _endpoint, v5 ? "5" : "3.1.1", sessionPresent);
            if (!sessionPresent && _settings.CommandTopics.Length > 0)
            {
                AppendSubscribeLocked();
                _stage = "SUBACK";
                ScheduleFlushLocked();
                return true;
            }

            done = CompleteHandshakeLocked();
        }

        if (resent > 0)
        {
            MqttProtocolAdapter.LogRetransmitted(_adapter.Logger, DeviceId, resent);
        }

        done?.TrySetResult(ConnectResult.Success);
        return true;
    }

    private void AppendSubscribeLocked()
    {
        _commandFilters ??= RenderCommandFilters();
        _subscribeId = NextPacketIdLocked();
        int size = MqttPacketWriter.SubscribeSize(_commandFilters, _settings.V5, out int remaining);
        MqttPacketWriter.WriteSubscribe(ReserveControlLocked(size), _subscribeId, _commandFilters, _adapter.Options.CommandQos, _settings.V5, remaining);
    }

    private byte[][] RenderCommandFilters()
    {
        var filters = new byte[_settings.CommandTopics.Length][];
        for (int i = 0; i < filters.Length; i++)
        {
            filters[i] = Encoding.UTF8.GetBytes(_context.RenderTopic(_settings.CommandTopics[i].Source));
        }

        return filters;
    }

    private bool OnSubAck(int gen, ReadOnlySpan<byte> body)
    {
        var reader = new MqttPacketReader(body);
        int propsLength = 0;
        if (!reader.TryReadUInt16(out ushort id))
        {
            return Abort(gen, "malformed SUBACK");
        }

        if (_settings.V5 && (!reader.TryReadVarInt(out propsLength) || propsLength > reader.Remaining))
        {
            return Abort(gen, "malformed SUBACK properties");
        }

        var codes = _settings.V5 ? reader.Rest[propsLength..] : reader.Rest;
        if (id != _subscribeId)
        {
            return true;
        }

        for (int i = 0; i < codes.Length && i < _commandFilters!.Length; i++)
        {
            if (codes[i] >= 0x80)
            {
                _permanentFailure = true;
                string topic = Encoding.UTF8.GetString(_commandFilters[i]);
                string reason = _settings.V5 ? MqttReasonCodes.ReasonCode(codes[i]) : "0x80 Failure";
                return Abort(gen, $"{_endpoint} refused the subscription to command topic '{topic}': SUBACK {reason}");
            }
        }

        TaskCompletionSource<ConnectResult>? done = null;
        lock (_gate)
        {
            if (gen == _generation && _state == StateConnecting)
            {
                done = CompleteHandshakeLocked();
            }
        }

        done?.TrySetResult(ConnectResult.Success);
        return true;
    }

    /// <summary>Marks the connection connected; the caller completes the returned source after leaving the lock.</summary>
    private TaskCompletionSource<ConnectResult>? CompleteHandshakeLocked()
    {
        _state = StateConnected;
        _lostUnexpectedly = false;
        _stage = string.Empty;
        Interlocked.Increment(ref _adapter.ConnectsCounter);
        var done = _handshake;
        _handshake = null;
        return done;
    }

    // ------------------------------------------------------------------ publish

    public PublishStatus TryPublish(string topic, ReadOnlySpan<byte> payload, int qos, bool retain) =>
        TryPublishCore(topic, payload, qos, retain, _publishProperties ?? _settings.PublishProperties);

    /// <summary>An answer to a request: the model's PUBLISH properties plus Correlation Data and a <c>status</c> user property (MQTT 5).</summary>
    public PublishStatus TryPublishResponse(string topic, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> correlationData, int status, int qos) =>
        _settings.V5
            ? TryPublishCore(topic, payload, qos, retain: false, MqttDeviceSettings.ResponseProperties(_publishProperties ?? _settings.PublishProperties, correlationData, status))
            : TryPublish(topic, payload, qos, retain: false);

    private PublishStatus TryPublishCore(string topic, ReadOnlySpan<byte> payload, int qos, bool retain, ReadOnlySpan<byte> properties)
    {
        if (Volatile.Read(ref _state) != StateConnected)
        {
            Interlocked.Increment(ref _adapter.NotConnectedCounter);
            return PublishStatus.NotConnected;
        }

        // A topic name is not empty and has no wildcards [MQTT-4.7.3-1], [MQTT-3.3.2-2].
        if (topic.Length == 0 || topic.AsSpan().IndexOfAny('+', '#') >= 0 || qos is < 0 or > 2)
        {
            Interlocked.Increment(ref _adapter.RejectedCounter);
            return PublishStatus.Rejected;
        }

        if (retain && !_retainAvailable)
        {
            // The server said Retain Available = 0 [MQTT-3.2.2-14].
            Interlocked.Increment(ref _adapter.RejectedCounter);
            return PublishStatus.Rejected;
        }

        if (qos > _maxQos)
        {
            qos = _maxQos; // never above the server's Maximum QoS [MQTT-3.2.2-11]
        }

        int size = MqttPacketWriter.PublishSize(Encoding.UTF8.GetByteCount(topic), qos, properties.Length, payload.Length, out int remaining);
        if (size > _maxPacketSize || remaining > MqttPacketWriter.MaxRemainingLength)
        {
            // Never above the server's Maximum Packet Size [MQTT-3.1.2-24].
            Interlocked.Increment(ref _adapter.RejectedCounter);
            return PublishStatus.Rejected;
        }

        var buffer = Pool.Rent(size);
        int idOffset = MqttPacketWriter.WritePublish(buffer, topic, properties, payload, qos, retain, remaining);
        var entry = new OutboundEntry(buffer, size, idOffset, (byte)qos, payload.Length);
        byte[]? discarded = null;
        lock (_gate)
        {
            if (_state != StateConnected)
            {
                Pool.Return(buffer);
                Interlocked.Increment(ref _adapter.NotConnectedCounter);
                return PublishStatus.NotConnected;
            }

            var queue = _queue ??= new OutboundEntry[4];
            if (_queueCount >= _context.OutboundQueueLimit)
            {
                if (_context.OutboundOverflow == OutboundOverflow.DropNewest)
                {
                    Pool.Return(buffer);
                    Interlocked.Increment(ref _adapter.QueueFullCounter);
                    return PublishStatus.QueueFull;
                }

                discarded = queue[_queueHead].Buffer;
                queue[_queueHead] = default;
                _queueHead = (_queueHead + 1) % queue.Length;
                _queueCount--;
            }
            else if (_queueCount == queue.Length)
            {
                queue = GrowQueueLocked();
            }

            queue[(_queueHead + _queueCount) % queue.Length] = entry;
            _queueCount++;
            ScheduleFlushLocked();
        }

        if (discarded is not null)
        {
            Pool.Return(discarded);
            Interlocked.Increment(ref _adapter.QueueFullCounter);
        }

        return PublishStatus.Accepted;
    }

    private OutboundEntry[] GrowQueueLocked()
    {
        var old = _queue!;
        var bigger = new OutboundEntry[Math.Min(old.Length * 2, Math.Max(_context.OutboundQueueLimit, 4))];
        for (int i = 0; i < _queueCount; i++)
        {
            bigger[i] = old[(_queueHead + i) % old.Length];
        }

        _queueHead = 0;
        _queue = bigger;
        return bigger;
    }

    private void ScheduleFlushLocked()
    {
        if (!_flushScheduled)
        {
            _flushScheduled = true;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    void IThreadPoolWorkItem.Execute() => _ = FlushAsync();

    /// <summary>Writes control packets, then queued PUBLISH packets (within the inflight window), batched into one send.</summary>
    private async Task FlushAsync()
    {
        while (true)
        {
            byte[]? batch;
            int length;
            int gen;
            int published;
            long payloadBytes;
            bool closeAfter;
            Socket? socket;
            SslStream? ssl;
            lock (_gate)
            {
                socket = _socket;
                ssl = _ssl;
                gen = _generation;
                if (socket is null || _state is not (StateConnecting or StateConnected or StateClosing) || (_settings.Tls && ssl is null))
                {
                    _flushScheduled = false;
                    return;
                }

                length = BuildBatchLocked(out batch, out published, out payloadBytes, out closeAfter);
                if (length == 0)
                {
                    _flushScheduled = false;
                    return;
                }
            }

            try
            {
                if (ssl is null)
                {
                    int sent = 0;
                    while (sent < length)
                    {
                        sent += await socket.SendAsync(batch.AsMemory(sent, length - sent), SocketFlags.None).ConfigureAwait(false);
                    }
                }
                else
                {
                    await ssl.WriteAsync(batch.AsMemory(0, length)).ConfigureAwait(false);
                }
            }
            catch (Exception ex)
            {
                Pool.Return(batch!);
                lock (_gate)
                {
                    _flushScheduled = false;
                    if (gen != _generation && HasWorkLocked())
                    {
                        ScheduleFlushLocked();
                    }
                }

                OnTransportClosed(gen, Describe("send", ex));
                return;
            }

            Pool.Return(batch!);
            Volatile.Write(ref _lastSentMs, _adapter.Clock.NowMs);
            if (published > 0)
            {
                Interlocked.Add(ref _adapter.PublishedCounter, published);
                Interlocked.Add(ref _adapter.BytesCounter, payloadBytes);
            }

            if (closeAfter)
            {
                TaskCompletionSource? written;
                lock (_gate)
                {
                    written = _disconnectWritten;
                    _flushScheduled = false;
                }

                written?.TrySetResult();
                return;
            }
        }
    }

    private bool HasWorkLocked() => _controlLength > 0 || (_queueCount > 0 && _state is StateConnected or StateClosing) || _sendDisconnect;

    private int BuildBatchLocked(out byte[]? batch, out int published, out long payloadBytes, out bool closeAfter)
    {
        int max = _adapter.Options.MaxWriteBatchBytes;
        bool data = _state is StateConnected or StateClosing;
        published = 0;
        payloadBytes = 0;
        closeAfter = false;

        // Size the batch: control packets, then queued packets up to the batch size and the inflight window.
        int size = _controlLength;
        int take = 0;
        int inflightFree = _window - _inflightCount;
        if (data && _queue is { } queue)
        {
            for (int i = 0; i < _queueCount; i++)
            {
                ref var e = ref queue[(_queueHead + i) % queue.Length];
                if ((size > 0 && size + e.Length > max) || (e.Qos > 0 && inflightFree == 0))
                {
                    break;
                }

                if (e.Qos > 0)
                {
                    inflightFree--;
                }

                size += e.Length;
                take++;
            }
        }

        // A graceful close writes DISCONNECT once everything queued is written and (until the drain time
        // runs out) every QoS 1/2 message is acknowledged, so only what really never was counts as lost.
        bool disconnect = _sendDisconnect && _state == StateClosing && take == _queueCount && (_drainExpired || (take == 0 && !HasOutstandingLocked()));
        if (disconnect)
        {
            size += 2;
        }

        if (size == 0)
        {
            batch = null;
            return 0;
        }

        batch = Pool.Rent(size);
        int o = 0;
        if (_controlLength > 0)
        {
            _control.AsSpan(0, _controlLength).CopyTo(batch);
            o = _controlLength;
            _controlLength = 0;
            if (_control!.Length > 4096)
            {
                Pool.Return(_control);
                _control = null;
            }
        }

        long sentAt = 0;
        for (int i = 0; i < take; i++)
        {
            var queue2 = _queue!;
            var e = queue2[_queueHead];
            queue2[_queueHead] = default;
            _queueHead = (_queueHead + 1) % queue2.Length;
            _queueCount--;
            if (e.Qos > 0)
            {
                ushort id = NextPacketIdLocked();
                BinaryPrimitives.WriteUInt16BigEndian(e.Buffer.AsSpan(e.IdOffset), id);
                if (sentAt == 0)
                {
                    sentAt = _adapter.Clock.Time.GetTimestamp(); // once per batch: latency = batch written -> acknowledged
                }

                AddInflightLocked(new InflightEntry(e.Buffer, e.Length, id, e.Qos == 1 ? StageAwaitPubAck : StageAwaitPubRec, sentAt));
                e.Buffer.AsSpan(0, e.Length).CopyTo(batch.AsSpan(o));
            }
            else
            {
                e.Buffer.AsSpan(0, e.Length).CopyTo(batch.AsSpan(o));
                Pool.Return(e.Buffer);
            }

            o += e.Length;
            published++;
            payloadBytes += e.PayloadLength;
        }

        if (disconnect)
        {
            MqttPacketWriter.WriteDisconnect(batch.AsSpan(o));
            o += 2;
            _sendDisconnect = false;
            closeAfter = true;
        }

        return o;
    }

    private Span<byte> ReserveControlLocked(int size)
    {
        if (_control is null || _control.Length - _controlLength < size)
        {
            var bigger = Pool.Rent(Math.Max(64, _controlLength + size));
            if (_control is not null)
            {
                _control.AsSpan(0, _controlLength).CopyTo(bigger);
                Pool.Return(_control);
            }

            _control = bigger;
        }

        var span = _control.AsSpan(_controlLength, size);
        _controlLength += size;
        return span;
    }

    private void AppendAckLocked(MqttPacketType type, ushort id)
    {
        MqttPacketWriter.WriteAck(ReserveControlLocked(4), type, id);
        ScheduleFlushLocked();
    }

    private ushort NextPacketIdLocked()
    {
        // Non-zero [MQTT-2.3.1-1] and not in use by an unacknowledged packet [MQTT-2.3.1-2].
        while (true)
        {
            _lastPacketId = (ushort)(_lastPacketId == ushort.MaxValue ? 1 : _lastPacketId + 1);
            if (FindInflightLocked(_lastPacketId) < 0 && _lastPacketId != _subscribeId)
            {
                return _lastPacketId;
            }
        }
    }

    // ------------------------------------------------------------------ inflight

    private void AddInflightLocked(InflightEntry entry)
    {
        var ring = _inflight;
        if (ring is null || _inflightCount == ring.Length)
        {
            var bigger = new InflightEntry[Math.Max(ring?.Length * 2 ?? 0, Math.Min(_adapter.Options.InflightWindow, 16))];
            for (int i = 0; i < _inflightCount; i++)
            {
                bigger[i] = ring![(_inflightHead + i) % ring.Length];
            }

            _inflightHead = 0;
            _inflight = ring = bigger;
        }

        ring[(_inflightHead + _inflightCount) % ring.Length] = entry;
        _inflightCount++;
    }

    /// <summary>True while a QoS 1/2 message awaits PUBACK, PUBREC or PUBCOMP.</summary>
    private bool HasOutstandingLocked()
    {
        var ring = _inflight;
        for (int i = 0; i < _inflightCount; i++)
        {
            if (ring![(_inflightHead + i) % ring.Length].Stage != StageFree)
            {
                return true;
            }
        }

        return false;
    }

    private int FindInflightLocked(ushort id)
    {
        var ring = _inflight;
        for (int i = 0; i < _inflightCount; i++)
        {
            int slot = (_inflightHead + i) % ring!.Length;
            if (ring[slot].Stage != StageFree && ring[slot].PacketId == id)
            {
                return slot;
            }
        }

        return -1;
    }

    private void CompleteInflightLocked(int slot)
    {
        var ring = _inflight!;
        if (ring[slot].Buffer is { } buffer)
        {
            Pool.Return(buffer);
        }

        ring[slot] = default;
        while (_inflightCount > 0 && ring[_inflightHead].Stage == StageFree)
        {
            _inflightHead = (_inflightHead + 1) % ring.Length;
            _inflightCount--;
        }

        if (_queueCount > 0 || (_sendDisconnect && _state == StateClosing))
        {
            ScheduleFlushLocked(); // the window has room again, or a graceful close may write DISCONNECT now
        }
    }

    /// <summary>Resends unacknowledged PUBLISH packets with DUP set, and PUBREL where PUBREC came, in their original order [MQTT-4.4.0-1].</summary>
    private int RetransmitLocked()
    {
        var ring = _inflight;
        int count = 0;
        for (int i = 0; i < _inflightCount; i++)
        {
            ref var e = ref ring![(_inflightHead + i) % ring.Length];
            switch (e.Stage)
            {
                case StageAwaitPubAck or StageAwaitPubRec:
                    e.Buffer![0] |= 0x08; // DUP [MQTT-3.3.1-1]
                    e.Buffer.AsSpan(0, e.Length).CopyTo(ReserveControlLocked(e.Length));
                    count++;
                    break;
                case StageAwaitPubComp:
                    MqttPacketWriter.WriteAck(ReserveControlLocked(4), MqttPacketType.PubRel, e.PacketId);
                    count++;
                    break;
            }
        }

        return count;
    }

    private void ClearInflightLocked()
    {
        var ring = _inflight;
        for (int i = 0; i < _inflightCount; i++)
        {
            ref var e = ref ring![(_inflightHead + i) % ring.Length];
            if (e.Buffer is { } buffer)
            {
                Pool.Return(buffer);
                Interlocked.Increment(ref _adapter.UnacknowledgedCounter);
            }

            e = default;
        }

        _inflightHead = 0;
        _inflightCount = 0;
    }

    private void RecordLatency(long sentTimestamp)
    {
        var elapsed = _adapter.Clock.Time.GetElapsedTime(sentTimestamp).Ticks / TimeSpan.TicksPerMicrosecond;
        _adapter.Latency.Record(elapsed);
        _context.PublishLatency?.Record(elapsed);
    }

    // ------------------------------------------------------------------ receive

    private async Task ReceiveLoopAsync(int gen, Socket socket, SslStream? ssl)
    {
        byte[]? buffer = null;
        int count = 0;
        try
        {
            while (true)
            {
                if (count == 0)
                {
                    if (buffer is not null)
                    {
                        Pool.Return(buffer);
                        buffer = null;
                    }

                    // Zero-byte read: wait for data without holding a buffer (an idle connection owns none).
                    if (ssl is null)
                    {
                        await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                    }
                    else
                    {
                        await ssl.ReadAsync(Memory<byte>.Empty).ConfigureAwait(false);
                    }

                    buffer = Pool.Rent(_adapter.Options.ReceiveBufferSize);
                }

                int n = ssl is null
                    ? await socket.ReceiveAsync(buffer.AsMemory(count), SocketFlags.None).ConfigureAwait(false)
                    : await ssl.ReadAsync(buffer.AsMemory(count)).ConfigureAwait(false);
                if (n == 0)
                {
                    OnTransportClosed(gen, $"{_endpoint} closed the connection");
                    return;
                }

                count += n;
                int consumed = 0;
                while (true)
                {
                    var available = buffer.AsSpan(consumed, count - consumed);
                    var frame = TryReadFrame(available, out byte header, out int bodyOffset, out int bodyLength);
                    if (frame == FrameResult.Malformed || bodyLength > _adapter.Options.MaxIncomingPacketSize)
                    {
                        OnTransportClosed(gen, frame == FrameResult.Malformed ? "malformed packet from the server" : $"the server sent a packet of {bodyLength} bytes, above MaxIncomingPacketSize");
                        return;
                    }

                    if (frame == FrameResult.Incomplete)
                    {
                        break;
                    }

                    if (!HandlePacket(gen, header, available.Slice(bodyOffset, bodyLength)))
                    {
                        return;
                    }

                    consumed += bodyOffset + bodyLength;
                }

                // Keep the unparsed tail at the front; grow when a packet is larger than the buffer.
                buffer ??= Pool.Rent(_adapter.Options.ReceiveBufferSize);
                count -= consumed;
                if (count > 0)
                {
                    if (consumed > 0)
                    {
                        Buffer.BlockCopy(buffer, consumed, buffer, 0, count);
                    }

                    int needed = TryReadFrame(buffer.AsSpan(0, count), out _, out int off, out int len) == FrameResult.Incomplete && len > 0 ? off + len : count + 1;
                    if (needed > buffer.Length || count == buffer.Length)
                    {
                        var bigger = Pool.Rent(Math.Max(needed, buffer.Length * 2));
                        Buffer.BlockCopy(buffer, 0, bigger, 0, count);
                        Pool.Return(buffer);
                        buffer = bigger;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            OnTransportClosed(gen, Describe("receive", ex));
        }
        catch (Exception ex)
        {
            MqttProtocolAdapter.LogReceiveFailed(_adapter.Logger, DeviceId, ex);
            OnTransportClosed(gen, $"receive failed: {ex.Message}");
        }
        finally
        {
            if (buffer is not null)
            {
                Pool.Return(buffer);
            }
        }
    }

    private enum FrameResult
    {
        Complete,
        Incomplete,
        Malformed,
    }

    /// <summary>Reads a fixed header [MQTT-2.2]; <paramref name="bodyLength"/> is known once the length bytes arrived (else 0).</summary>
    private static FrameResult TryReadFrame(ReadOnlySpan<byte> data, out byte header, out int bodyOffset, out int bodyLength)
    {
        header = 0;
        bodyOffset = 0;
        bodyLength = 0;
        if (data.Length < 2)
        {
            return FrameResult.Incomplete;
        }

        header = data[0];
        int value = 0;
        for (int i = 1; i <= 4; i++)
        {
            if (i >= data.Length)
            {
                return FrameResult.Incomplete;
            }

            byte b = data[i];
            value |= (b & 0x7F) << (7 * (i - 1));
            if ((b & 0x80) == 0)
            {
                bodyOffset = i + 1;
                bodyLength = value;
                return data.Length - bodyOffset >= value ? FrameResult.Complete : FrameResult.Incomplete;
            }
        }

        return FrameResult.Malformed;
    }

    /// <summary>Handles one packet; false when the connection ended.</summary>
    private bool HandlePacket(int gen, byte header, ReadOnlySpan<byte> body)
    {
        var type = (MqttPacketType)(header >> 4);
        switch (type)
        {
            case MqttPacketType.ConnAck:
                return OnConnAck(gen, body);
            case MqttPacketType.SubAck:
                return OnSubAck(gen, body);
            case MqttPacketType.Publish:
                return OnPublish(gen, header, body);
            case MqttPacketType.PubAck:
            case MqttPacketType.PubRec:
            case MqttPacketType.PubRel:
            case MqttPacketType.PubComp:
                return OnAck(gen, type, body);
            case MqttPacketType.PingResp:
                Volatile.Write(ref _pingSentMs, -1);
                return true;
            case MqttPacketType.Disconnect:
                string reason = body.Length > 0 ? MqttReasonCodes.ReasonCode(body[0]) : "0x00";
                OnTransportClosed(gen, $"{_endpoint} sent DISCONNECT {reason}");
                return false;
            default:
                return Abort(gen, $"unexpected packet type {(int)type} from the server");
        }
    }

    private bool OnAck(int gen, MqttPacketType type, ReadOnlySpan<byte> body)
    {
        var reader = new MqttPacketReader(body);
        if (!reader.TryReadUInt16(out ushort id))
        {
            return Abort(gen, $"malformed {type}");
        }

        byte reason = reader.TryReadByte(out byte r) ? r : (byte)0;
        lock (_gate)
        {
            if (gen != _generation)
            {
                return false;
            }

            if (type == MqttPacketType.PubRel)
            {
                // Release of a received QoS 2 message: forget its id, answer PUBCOMP [MQTT-4.3.3-11].
                RemoveQos2IdLocked(id);
                AppendAckLocked(MqttPacketType.PubComp, id);
                return true;
            }

            int slot = FindInflightLocked(id);
            if (slot < 0)
            {
                return true; // unknown or duplicate acknowledgement
            }

            ref var e = ref _inflight![slot];
            switch (type)
            {
                case MqttPacketType.PubAck when e.Stage == StageAwaitPubAck:
                case MqttPacketType.PubComp when e.Stage == StageAwaitPubComp:
                    if (reason >= 0x80)
                    {
                        Interlocked.Increment(ref _adapter.RefusedCounter); // MQTT 5 PUBACK with a failure reason [MQTT-3.4.2.1]
                    }
                    else
                    {
                        RecordLatency(e.SentTimestamp);
                    }

                    CompleteInflightLocked(slot);
                    break;
                case MqttPacketType.PubRec when e.Stage == StageAwaitPubRec:
                    if (reason >= 0x80)
                    {
                        CompleteInflightLocked(slot); // refused: no PUBREL [MQTT-4.3.3-4 (5.0)]
                        Interlocked.Increment(ref _adapter.RefusedCounter);
                        break;
                    }

                    // PUBREC: the message is stored; answer PUBREL and keep only the id [MQTT-4.3.3-3].
                    Pool.Return(e.Buffer!);
                    e.Buffer = null;
                    e.Stage = StageAwaitPubComp;
                    AppendAckLocked(MqttPacketType.PubRel, id);
                    break;
            }
        }

        return true;
    }

    /// <summary>An incoming PUBLISH: a command when its topic matches a command topic; acknowledged per its QoS.</summary>
    private bool OnPublish(int gen, byte header, ReadOnlySpan<byte> body)
    {
        int qos = (header >> 1) & 0x03;
        var reader = new MqttPacketReader(body);
        if (qos == 3 || !reader.TryReadPrefixed(out var topic))
        {
            return Abort(gen, "malformed PUBLISH");
        }

        ushort id = 0;
        if (qos > 0 && !reader.TryReadUInt16(out id))
        {
            return Abort(gen, "malformed PUBLISH");
        }

        ReadOnlySpan<byte> properties = default;

        if (_settings.V5)
        {
            if (!reader.TryReadVarInt(out int propsLength) || propsLength > reader.Remaining)
            {
                return Abort(gen, "malformed PUBLISH properties");
            }

            properties = reader.Rest[..propsLength];
            reader = new MqttPacketReader(reader.Rest[propsLength..]);
        }

        var payload = reader.Rest;
        bool deliver = true;
        if (qos == 2)
        {
            lock (_gate)
            {
                // A duplicate of a QoS 2 message not yet released is not delivered again [MQTT-4.3.3-10].
                deliver = AddQos2IdLocked(id);
            }
        }

        if (deliver)
        {
            Deliver(topic, payload, properties);
        }

        if (qos > 0)
        {
            lock (_gate)
            {
                if (gen == _generation)
                {
                    AppendAckLocked(qos == 1 ? MqttPacketType.PubAck : MqttPacketType.PubRec, id);
                }
            }
        }

        return true;
    }

    private void Deliver(ReadOnlySpan<byte> topic, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> properties)
    {
        var filters = _commandFilters ??= RenderCommandFilters();
        for (int i = 0; i < filters.Length; i++)
        {
            if (MqttTopicFilter.Matches(filters[i], topic))
            {
                Interlocked.Increment(ref _adapter.CommandsCounter);
                if (properties.Length > 0 && MqttPacketReader.TryFindResponseTopic(properties, out var responseTopic, out var correlationData))
                {
                    // A request [MQTT-4.10]: the engine may answer on its Response Topic with its Correlation Data.
                    _context.Events.CommandReceived(_settings.CommandNames[i], payload, responseTopic, correlationData);
                }
                else
                {
                    _context.Events.CommandReceived(_settings.CommandNames[i], payload);
                }

                return;
            }
        }

        if (_adapter.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug))
        {
            MqttProtocolAdapter.LogUnmatchedMessage(_adapter.Logger, DeviceId, Encoding.UTF8.GetString(topic));
        }
    }

    private bool AddQos2IdLocked(ushort id)
    {
        var ids = _qos2Ids ??= new ushort[4];
        for (int i = 0; i < _qos2Count; i++)
        {
            if (ids[i] == id)
            {
                return false;
            }
        }

        if (_qos2Count == ids.Length)
        {
            Array.Resize(ref _qos2Ids, ids.Length * 2);
        }

        _qos2Ids![_qos2Count++] = id;
        return true;
    }

    private void RemoveQos2IdLocked(ushort id)
    {
        for (int i = 0; i < _qos2Count; i++)
        {
            if (_qos2Ids![i] == id)
            {
                _qos2Ids[i] = _qos2Ids[--_qos2Count];
                return;
            }
        }
    }

    // ------------------------------------------------------------------ keep-alive, loss, close

    /// <summary>From the adapter's clock: connect deadline, PINGREQ when idle [MQTT-3.1.2-23], PINGRESP overdue.</summary>
    internal void OnSweep(long nowMs)
    {
        string? lost = null;
        int gen;
        TaskCompletionSource<ConnectResult>? timedOut = null;
        string? timeoutReason = null;
        lock (_gate)
        {
            gen = _generation;
            if (_state == StateConnecting && _socket is not null && nowMs > _deadlineMs)
            {
                timeoutReason = $"{_stage} with {_endpoint} timed out after {_adapter.Options.ConnectTimeoutMs} ms";
                timedOut = _handshake;
                _handshake = null;
                CloseTransportLocked();
            }

            else if (_state != StateConnected || _keepAliveMs == 0)
            {
                return;
            }

            long pingSent = Volatile.Read(ref _pingSentMs);
            if (pingSent >= 0)
            {
                if (nowMs - pingSent > Math.Max(_keepAliveMs, 2 * MqttAdapterClock.SweepMs))
                {
                    lost = $"no PINGRESP from {_endpoint} within {_keepAliveMs} ms";
                }
            }
            else if (nowMs - Volatile.Read(ref _lastSentMs) >= Math.Max(MqttAdapterClock.SweepMs, _keepAliveMs - Math.Max(_keepAliveMs / 4, 2 * MqttAdapterClock.SweepMs)))
            {
                MqttPacketWriter.WritePingReq(ReserveControlLocked(2));
                Volatile.Write(ref _pingSentMs, nowMs);
                ScheduleFlushLocked();
            }
        }

        timedOut?.TrySetResult(ConnectResult.Failure(timeoutReason!));
        if (lost is not null)
        {
            OnTransportClosed(gen, lost);
        }
    }

    private bool Abort(int gen, string reason)
    {
        OnTransportClosed(gen, reason);
        return false;
    }

    /// <summary>The transport of <paramref name="gen"/> ended without being asked: fail the connect, report the loss, or finish a graceful close.</summary>
    private void OnTransportClosed(int gen, string reason)
    {
        bool report = false;
        bool reconnect = _adapter.Options.Reconnect.Enabled;
        TaskCompletionSource? written = null;
        TaskCompletionSource<ConnectResult>? failed = null;
        lock (_gate)
        {
            if (gen != _generation)
            {
                return;
            }

            switch (_state)
            {
                case StateConnecting:
                    failed = _handshake;
                    _handshake = null;
                    break;
                case StateConnected:
                    _state = StateLost;
                    _lostUnexpectedly = reconnect;
                    report = true;
                    break;
                case StateClosing:
                    written = _disconnectWritten;
                    break;
            }

            CloseTransportLocked();
        }

        written?.TrySetResult();
        failed?.TrySetResult(ConnectResult.Failure(reason));
        if (report)
        {
            MqttProtocolAdapter.LogConnectionLost(_adapter.Logger, DeviceId, reason);
            _context.Events.ConnectionLost(reason, reconnect);
        }
    }

    public async ValueTask DisconnectAsync(DisconnectMode mode, CancellationToken cancellationToken = default)
    {
        TaskCompletionSource written;
        TaskCompletionSource<ConnectResult>? cancelled = null;
        int gen = 0;
        lock (_gate)
        {
            if (_state == StateConnecting)
            {
                cancelled = CancelConnectLocked();
                _state = StateIdle;
                _lostUnexpectedly = false;
            }
        }

        if (cancelled is not null)
        {
            cancelled.TrySetResult(ConnectResult.Failure("connect cancelled"));
            return;
        }

        lock (_gate)
        {
            switch (_state)
            {
                case StateConnected when mode == DisconnectMode.Graceful:
                    _state = StateClosing;
                    _sendDisconnect = true;
                    _drainExpired = _adapter.Options.DisconnectDrainMs == 0;
                    written = _disconnectWritten = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    gen = _generation;
                    ScheduleFlushLocked();
                    break;
                case StateLost:
                    // The engine reacting to a reported loss: keep the reconnect backoff for the next connect.
                    _state = StateIdle;
                    return;
                case StateConnected or StateClosing:
                    CloseTransportLocked(); // abrupt: no DISCONNECT, the broker publishes the will
                    _state = StateIdle;
                    _lostUnexpectedly = false;
                    return;
                default:
                    return;
            }
        }

        var options = _adapter.Options;
        if (!await WaitAsync(written.Task, options.DisconnectDrainMs, cancellationToken).ConfigureAwait(false))
        {
            // The drain ran out: write DISCONNECT now; what is still unacknowledged counts as such at the close.
            lock (_gate)
            {
                if (_state == StateClosing && gen == _generation)
                {
                    _drainExpired = true;
                    ScheduleFlushLocked();
                }
            }

            await WaitAsync(written.Task, options.DisconnectTimeoutMs, cancellationToken).ConfigureAwait(false);
        }

        lock (_gate)
        {
            if (_state == StateClosing && gen == _generation)
            {
                try
                {
                    _socket?.Shutdown(SocketShutdown.Both);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    // already closed by the peer
                }

                CloseTransportLocked();
                _state = StateIdle;
                _lostUnexpectedly = false;
            }
        }
    }

    /// <summary>Waits for <paramref name="task"/> up to <paramref name="timeoutMs"/> on the adapter's clock; false on timeout or cancellation.</summary>
    private async ValueTask<bool> WaitAsync(Task task, int timeoutMs, CancellationToken cancellationToken)
    {
        if (task.IsCompleted)
        {
            return true;
        }

        try
        {
            await task.WaitAsync(TimeSpan.FromMilliseconds(timeoutMs), _adapter.Clock.Time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Cancels a connect in progress; the caller fails the returned source after leaving the lock.</summary>
    private TaskCompletionSource<ConnectResult>? CancelConnectLocked()
    {
        _connectEpoch++;
        var pending = _handshake;
        _handshake = null;
        _delay?.TrySetResult(false);
        _delay = null;
        CloseTransportLocked();
        return pending;
    }

    /// <summary>Closes the transport, ends its loops (generation bump) and drops unsent packets; a persistent session keeps its inflight messages.</summary>
    private void CloseTransportLocked()
    {
        if (_socket is null)
        {
            return;
        }

        _generation++;
        _ssl?.Dispose();
        _socket.Dispose();
        _ssl = null;
        _socket = null;
        Interlocked.Decrement(ref _adapter.OpenCounter);
        _sendDisconnect = false;
        _controlLength = 0;
        _pingSentMs = -1;
        var queue = _queue;
        for (int i = 0; i < _queueCount; i++)
        {
            ref var e = ref queue![(_queueHead + i) % queue.Length];
            Pool.Return(e.Buffer);
            e = default;
            Interlocked.Increment(ref _adapter.UnsentCounter);
        }

        _queueHead = 0;
        _queueCount = 0;
        if (_settings.CleanSession)
        {
            ClearInflightLocked();
        }
    }

    public ValueTask DisposeAsync()
    {
        TaskCompletionSource<ConnectResult>? cancelled;
        lock (_gate)
        {
            if (_state == StateDisposed)
            {
                return ValueTask.CompletedTask;
            }

            cancelled = CancelConnectLocked();
            ClearInflightLocked();
            _state = StateDisposed;
            if (_control is not null && !_flushScheduled)
            {
                Pool.Return(_control);
                _control = null;
            }
        }

        cancelled?.TrySetResult(ConnectResult.Failure("connection disposed"));
        _adapter.Unregister(this);
        return ValueTask.CompletedTask;
    }

    private string Describe(string operation, Exception ex) => ex switch
    {
        SocketException se => $"{operation} on {_endpoint} failed: {se.SocketErrorCode}",
        IOException { InnerException: SocketException se } => $"{operation} on {_endpoint} failed: {se.SocketErrorCode}",
        ObjectDisposedException or OperationCanceledException => "connection closed",
        _ => $"{operation} on {_endpoint} failed: {ex.Message}",
    };

    private readonly record struct OutboundEntry(byte[] Buffer, int Length, int IdOffset, byte Qos, int PayloadLength);

    private struct InflightEntry(byte[]? buffer, int length, ushort packetId, byte stage, long sentTimestamp)
    {
        public byte[]? Buffer = buffer;
        public int Length = length;
        public ushort PacketId = packetId;
        public byte Stage = stage;

        /// <summary>When the PUBLISH was first written (<see cref="TimeProvider.GetTimestamp"/>); a resend keeps it.</summary>
        public long SentTimestamp = sentTimestamp;
    }
}
