using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using IoTix.Broker.Admin;
using IoTix.Broker.DeadLetters;
using IoTix.Broker.History;
using IoTix.Broker.Listeners;
using IoTix.Broker.Observability;
using IoTix.Broker.Persistence;
using IoTix.Broker.Retained;
using IoTix.Broker.Security;
using IoTix.Broker.Sessions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IoTix.Broker.Server;

/// <summary>
/// Runs the MQTTnet server with the host: builds the listeners, wires authentication, ACLs, the duplicate client
/// id policy, session expiry, metrics and retained message persistence into the server's events, and drains on stop.
/// </summary>
internal sealed partial class BrokerHostedService : IHostedService, IBrokerStatus, IDisposable
{
    private readonly BrokerOptions _options;
    private readonly AclStore _acl;
    private readonly UserDirectory _users;
    private readonly ConnectionGate _gate;
    private readonly BrokerMetrics _metrics;
    private readonly ConnectedClients _connected;
    private readonly SharedSubscriptionRegistry _shared;
    private readonly SessionExpiryMonitor _expiry;
    private readonly MessageExpiry _messageExpiry;
    private readonly IEnumerable<BrokerTransport> _transports;
    private readonly IRetainedMessageStore? _retainedStore;
    private readonly ISessionStore? _sessionStore;
    private readonly BrokerWriteBehind _writeBehind;
    private readonly PersistentSessions _persistent;
    private readonly HistoryRecorder _history;
    private readonly DeadLetterRecorder _deadLetters;
    private readonly object _enqueueHookLock = new();
    private bool _enqueueHookInstalled;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<BrokerHostedService> _logger;
    private readonly ConcurrentDictionary<string, ClientInfo> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Dictionary<string, MqttQualityOfServiceLevel>> _subscriptions = new(StringComparer.Ordinal);
    private readonly BrokerRuntimeSettings _runtime;
    private readonly List<TcpListenerAdapter> _tcpListeners = [];
    private readonly Dictionary<string, int> _boundPorts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ITimer> _pendingWills = new(StringComparer.Ordinal);
    private readonly IEnumerable<IBrokerServerExtension> _extensions;
    private readonly object _stopLock = new();
    private Task? _stopped;
    private MqttServer? _server;
    private volatile bool _listening;

    public BrokerHostedService(
        IOptions<BrokerOptions> options,
        AclStore acl,
        UserDirectory users,
        ConnectionGate gate,
        BrokerMetrics metrics,
        ConnectedClients connected,
        SharedSubscriptionRegistry shared,
        SessionExpiryMonitor expiry,
        MessageExpiry messageExpiry,
        BrokerWriteBehind writeBehind,
        PersistentSessions persistent,
        BrokerRuntimeSettings runtime,
        HistoryRecorder history,
        DeadLetterRecorder deadLetters,
        IEnumerable<BrokerTransport> transports,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory,
        IRetainedMessageStore? retainedStore = null,
        ISessionStore? sessionStore = null,
        IEnumerable<IBrokerServerExtension>? extensions = null)
    {
        _extensions = extensions ?? [];
        _options = options.Value;
        _acl = acl;
        _users = users;
        _gate = gate;
        _metrics = metrics;
        _connected = connected;
        _shared = shared;
        _expiry = expiry;
        _messageExpiry = messageExpiry;
        _transports = transports;
        _retainedStore = options.Value.Persistence.Enabled ? retainedStore : null;
        _sessionStore = options.Value.Persistence.Enabled ? sessionStore : null;
        _writeBehind = writeBehind;
        _persistent = persistent;
        _history = history;
        _deadLetters = deadLetters;
        _runtime = runtime;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<BrokerHostedService>();
    }

    public bool IsListening => _listening;

    public IReadOnlyDictionary<string, int> BoundPorts => _boundPorts;

    /// <summary>The running server (null before start or when disabled), for broker services of the host.</summary>
    public MqttServer? Server => _server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            LogDisabled(_logger);
            return;
        }

        _acl.Start();
        var adapters = CreateAdapters();
        var serverOptions = new MqttServerOptionsBuilder()
            .WithoutDefaultEndpoint()
            .WithPersistentSessions(true)
            .WithMaxPendingMessagesPerClient(_options.MaxPendingMessagesPerClient)
            .WithPendingMessagesOverflowStrategy(MqttPendingMessagesOverflowStrategy.DropOldestQueuedMessage)
            .Build();

        var server = new MqttServerFactory().CreateMqttServer(serverOptions, adapters, new MqttNetLoggerBridge(_loggerFactory.CreateLogger("MQTTnet")));
        server.ValidatingConnectionAsync += ValidateConnectionAsync;
        server.ClientConnectedAsync += OnClientConnectedAsync;
        server.ClientDisconnectedAsync += OnClientDisconnectedAsync;
        server.ClientSubscribedTopicAsync += OnClientSubscribedAsync;
        server.ClientUnsubscribedTopicAsync += OnClientUnsubscribedAsync;
        server.SessionDeletedAsync += OnSessionDeletedAsync;
        server.QueuedApplicationMessageOverwrittenAsync += OnMessageDroppedAsync;
        if (!string.IsNullOrWhiteSpace(_options.AclFile) || _users.HasTenantUsers)
        {
            // Only with an ACL or tenant users (confined to tenants/{tenant}/): the hook allocates per message.
            server.InterceptingPublishAsync += AuthorizePublishAsync;
            server.InterceptingSubscriptionAsync += AuthorizeSubscriptionAsync;
        }

        // After the ACL hook: history sees whether a publish was denied. Dead letters come from the hooks below.
        _history.Attach(server);
        _deadLetters.Start();

        if (_retainedStore is not null)
        {
            server.LoadingRetainedMessageAsync += LoadRetainedAsync;
            server.RetainedMessageChangedAsync += SaveRetainedAsync;
            server.RetainedMessagesClearedAsync += ClearRetainedAsync;
        }

        if (_persistent.IsEnabled)
        {
            await RestoreSessionsAsync(server, cancellationToken).ConfigureAwait(false);
        }

        _writeBehind.Start();

        _messageExpiry.RetainedExpired = DeleteExpiredRetainedAsync;
        _shared.WhenFirstShare(() => server.InterceptingClientEnqueueAsync += FilterSharedDeliveryAsync);
        _gate.SessionLookup = clientId => FindSession(server, clientId);
        _metrics.RetainedCountProvider = () => server.IsStarted ? server.GetRetainedMessagesAsync().GetAwaiter().GetResult().Count : 0;
        _server = server;
        foreach (var extension in _extensions)
        {
            extension.Attach(server);
        }

        await server.StartAsync().ConfigureAwait(false);
        foreach (var listener in _tcpListeners)
        {
            _boundPorts[listener.Name] = listener.BoundPort;
        }

        _expiry.Start(DeleteSessionAsync);
        _listening = true;
        LogStarted(_logger, Describe(), _options.IsAnonymousAllowed, _options.Users.Count, string.IsNullOrWhiteSpace(_options.AclFile) ? "none" : _options.AclFile);
    }

    /// <summary>
    /// Drains and stops once. The host may call this concurrently: a WebApplicationFactory (or any caller of
    /// <c>StopAsync</c>) stops the host while the entry point's <c>RunAsync</c> also stops it on ApplicationStopping.
    /// Later callers wait for the first stop (up to their own cancellation).
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource? owner = null;
        Task stop;
        lock (_stopLock)
        {
            if (_stopped is null)
            {
                owner = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _stopped = owner.Task;
            }

            stop = _stopped;
        }

        if (owner is null)
        {
            await stop.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            await StopOnceAsync(cancellationToken).ConfigureAwait(false);
            owner.SetResult();
        }
        catch (Exception exception)
        {
            owner.SetException(exception);
            throw;
        }
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        var server = _server;
        if (server is null || !server.IsStarted)
        {
            return;
        }

        server.AcceptNewConnections = false;
        LogStopping(_logger, _options.ShutdownDrainSeconds, _connected.Count);
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        drain.CancelAfter(TimeSpan.FromSeconds(_options.ShutdownDrainSeconds));
        try
        {
            while (!drain.IsCancellationRequested && await CountPendingAsync(server).ConfigureAwait(false) > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), _timeProvider, drain.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Drain period over: disconnect whatever is left.
        }

        _listening = false;
        await server.StopAsync(new MqttServerStopOptions
        {
            DefaultClientDisconnectOptions = new MqttServerClientDisconnectOptions
            {
                ReasonCode = MqttDisconnectReasonCode.ServerShuttingDown,
                ReasonString = "Server shutting down",
            },
        }).ConfigureAwait(false);

        // Session states of the clients just disconnected, and anything else still queued, reach the store.
        using var flush = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Max(2, _options.ShutdownDrainSeconds)));
        await _writeBehind.FlushAndStopAsync(flush.Token).ConfigureAwait(false);
        await _history.FlushAndStopAsync(flush.Token).ConfigureAwait(false);
        await _deadLetters.FlushAndStopAsync(flush.Token).ConfigureAwait(false);
        foreach (var extension in _extensions)
        {
            extension.Detach();
        }

        LogStopped(_logger);
    }

    public void Dispose()
    {
        _expiry.Dispose();
        _acl.Dispose();
        _server?.Dispose();
    }

    /// <summary>The session of a client MQTTnet has just accepted (null if it is already gone).</summary>
    private static MqttSessionStatus? FindSession(MqttServer server, string clientId)
    {
        try
        {
            // Completes synchronously: a dictionary lookup under MQTTnet's sessions lock.
            return server.GetSessionAsync(clientId).GetAwaiter().GetResult();
        }
        catch (InvalidOperationException)
        {
            // MQTTnet throws for an unknown id: the connection was taken over or closed meanwhile.
            return null;
        }
    }

    /// <summary>Messages still queued for connected clients.</summary>
    private static async Task<long> CountPendingAsync(MqttServer server)
    {
        long pending = 0;
        foreach (var client in await server.GetClientsAsync().ConfigureAwait(false))
        {
            pending += client.Session.PendingApplicationMessagesCount;
        }

        return pending;
    }

    private List<IMqttServerAdapter> CreateAdapters()
    {
        var adapters = new List<IMqttServerAdapter>();
        var address = IPAddress.Parse(_options.BindAddress);
        var listenerLogger = _loggerFactory.CreateLogger<TcpListenerAdapter>();
        if (_options.Listeners.Tcp.IsEnabled)
        {
            var tcp = new TcpListenerAdapter("tcp", new IPEndPoint(address, _options.Listeners.Tcp.Port), null, null, _gate, listenerLogger);
            _tcpListeners.Add(tcp);
            adapters.Add(tcp);
        }

        if (_options.Tls.IsConfigured)
        {
            if (_options.Listeners.Tls.IsEnabled)
            {
                var certificate = X509Certificate2.CreateFromPemFile(_options.Tls.CertificateFile!, _options.Tls.KeyFile);
                ClientCertificateValidator? clientValidator = null;
                if (!string.IsNullOrWhiteSpace(_options.Tls.ClientCaFile))
                {
                    var roots = new X509Certificate2Collection();
                    roots.ImportFromPemFile(_options.Tls.ClientCaFile);
                    clientValidator = new ClientCertificateValidator(roots, _options.Tls.RequireClientCertificate);
                }

                var tls = new TcpListenerAdapter("tls", new IPEndPoint(address, _options.Listeners.Tls.Port), certificate, clientValidator, _gate, listenerLogger);
                _tcpListeners.Add(tls);
                adapters.Add(tls);
            }
        }
        else
        {
            LogTlsOff(_logger, _options.Listeners.Tls.Port, _options.Listeners.SecureWebSocket.Port);
        }

        foreach (var transport in _transports)
        {
            adapters.Add(new ExternalListenerAdapter(transport, _gate));
        }

        return adapters;
    }

    private string Describe()
    {
        var parts = new List<string>();
        foreach (var (name, port) in _boundPorts)
        {
            parts.Add($"{name} {_options.BindAddress}:{port}");
        }

        foreach (var transport in _transports)
        {
            parts.Add($"{transport.Name} (web host)");
        }

        return string.Join(", ", parts);
    }

    private Task ValidateConnectionAsync(ValidatingConnectionEventArgs args)
    {
        var context = (args.ChannelAdapter as BrokerChannelAdapter)?.Context;
        var listener = context?.Listener ?? "unknown";
        var remote = args.RemoteEndPoint?.ToString() ?? "?";
        var counters = _metrics.ForListener(listener);

        if (string.IsNullOrEmpty(args.ClientId) && args.ProtocolVersion == MqttProtocolVersion.V500)
        {
            // [MQTT-3.1.3-6]/[MQTT-3.2.2-16]: assign an id and return it in the CONNACK.
            args.AssignedClientIdentifier = ClientIdentifiers.Assign();
        }

        var clientId = string.IsNullOrEmpty(args.ClientId) ? args.AssignedClientIdentifier : args.ClientId;
        if (string.IsNullOrEmpty(clientId))
        {
            // MQTT 3.1.1 empty id with CleanSession=0: MQTTnet answers 0x02 Identifier rejected [MQTT-3.1.3-8].
            counters.Rejected();
            LogConnectionRefused(_logger, "(empty)", remote, listener, "identifier rejected (empty client id needs CleanSession=1)", args.UserName ?? "");
            return Task.CompletedTask;
        }

        var certificateIdentity = args.ClientCertificate is null ? null : ClientCertificateValidator.IdentityOf(args.ClientCertificate);
        var outcome = _users.Authenticate(args.UserName, args.RawPassword, certificateIdentity is not null);
        if (outcome != AuthenticationOutcome.Accepted)
        {
            args.ReasonCode = outcome == AuthenticationOutcome.BadUserNameOrPassword ? MqttConnectReasonCode.BadUserNameOrPassword : MqttConnectReasonCode.NotAuthorized;
            counters.Rejected();
            LogConnectionRefused(_logger, clientId, remote, listener, args.ReasonCode.ToString(), args.UserName ?? "");
            return Task.CompletedTask;
        }

        var identity = string.IsNullOrEmpty(args.UserName) ? certificateIdentity : args.UserName;
        var tenant = _users.TenantOf(identity);
        if (tenant is not null && !ConfineClientId(args, tenant, ref clientId))
        {
            // A tenant's user connects only with a client id in its namespace: it cannot take over another tenant's
            // (or the platform's) session [MQTT-3.1.3-8] 0x85 Client Identifier not valid (3.1.1: 0x02 Identifier rejected [MQTT-3.1.3-9]).
            args.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
            counters.Rejected();
            LogTenantClientIdRefused(_logger, clientId, identity ?? "", tenant, TenantTopics.PrefixOf(tenant), remote, listener);
            return Task.CompletedTask;
        }

        if (tenant is null && TenantTopics.IsInAnyTenant(clientId))
        {
            // A tenant's namespace belongs to its users: anyone else (anonymous, a platform user, a certificate
            // identity) would take over a tenant device's session [MQTT-3.1.3-8] 0x85 Client Identifier not valid
            // (3.1.1: 0x02 Identifier rejected [MQTT-3.1.3-9]).
            args.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
            counters.Rejected();
            LogTenantNamespaceRefused(_logger, clientId, identity ?? "(anonymous)", remote, listener);
            return Task.CompletedTask;
        }

        if (context?.AssignedClientId is not null || !string.IsNullOrEmpty(args.AssignedClientIdentifier))
        {
            LogClientIdAssigned(_logger, remote, listener, clientId);
        }

        if (_runtime.DuplicateClientId == DuplicateClientIdPolicy.Reject && _connected.IsConnected(clientId))
        {
            args.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
            counters.Rejected();
            LogConnectionRefused(_logger, clientId, remote, listener, "client id in use (Broker:DuplicateClientId=reject)", args.UserName ?? "");
            return Task.CompletedTask;
        }

        var cleanStart = args.CleanSession ?? true;
        if (cleanStart && _connected.IsConnected(clientId) && _clients.TryGetValue(clientId, out var previous) && previous.Context?.DelayedWill is { } takenOverWill)
        {
            // Takeover: a new connection within the Will Delay Interval suppresses the will [MQTT-3.1.3-9] (MQTTnet
            // reports the old connection as taken over and nothing is scheduled), unless it starts clean: then the
            // old session ends, and a will is due when its session ends (3.1.2.5).
            previous.Context.DelayedWill = null;
            _ = PublishWillNowAsync(clientId, takenOverWill);
        }

        var expiry = args.ProtocolVersion == MqttProtocolVersion.V500
            ? Math.Min(args.SessionExpiryInterval, _options.MaxSessionExpirySeconds)
            : cleanStart ? 0 : _options.PersistentSessionExpirySeconds;
        _clients[clientId] = new ClientInfo(listener, identity, tenant, _users.IsRuntimeUser(args.UserName), args.ProtocolVersion, expiry, context);
        if (cleanStart)
        {
            ResetSubscriptions(clientId);
        }

        if (_persistent.IsEnabled && args.ReasonCode == MqttConnectReasonCode.Success)
        {
            _persistent.OnConnecting(clientId, cleanStart, expiry);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// True when <paramref name="clientId"/> lies in the tenant's namespace (<c>tenants/{tenant}/...</c>). An MQTT 5
    /// client that sent no id gets one there (its Assigned Client Identifier [MQTT-3.1.3-7]).
    /// </summary>
    private static bool ConfineClientId(ValidatingConnectionEventArgs args, string tenant, ref string clientId)
    {
        var prefix = TenantTopics.PrefixOf(tenant);
        if (!string.IsNullOrEmpty(args.AssignedClientIdentifier) && string.IsNullOrEmpty(args.ClientId))
        {
            args.AssignedClientIdentifier = prefix + args.AssignedClientIdentifier;
            clientId = args.AssignedClientIdentifier;
            return true;
        }

        return clientId.Length > prefix.Length && clientId.StartsWith(prefix, StringComparison.Ordinal);
    }

    private Task OnClientConnectedAsync(ClientConnectedEventArgs args)
    {
        _connected.Connected(args.ClientId);
        _expiry.Reconnected(args.ClientId);
        if (_pendingWills.TryRemove(args.ClientId, out var pendingWill))
        {
            // Reconnected within the Will Delay Interval: the will is not sent.
            pendingWill.Dispose();
        }

        var info = _clients.GetValueOrDefault(args.ClientId);
        LogClientConnected(_logger, args.ClientId, args.RemoteEndPoint?.ToString() ?? "?", info?.Listener ?? "?", VersionName(args.ProtocolVersion), args.UserName ?? "");
        if (info is { RuntimeUser: true } && !_users.IsRuntimeUser(info.Identity))
        {
            // Revoked between its CONNECT's validation and now: the revocation's sweep of connected clients may have
            // missed it (the server lists a client from this event on), so it is dropped here.
            _ = DropRevokedAsync(args.ClientId, info.Identity ?? "");
        }

        return Task.CompletedTask;
    }

    private async Task DropRevokedAsync(string clientId, string userName)
    {
        try
        {
            if (_server is { IsStarted: true } server && await FindClientAsync(server, clientId).ConfigureAwait(false) is { } client)
            {
                await client.DisconnectAsync(new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.NotAuthorized, ReasonString = "the user was revoked" }).ConfigureAwait(false);
                LogRevokedUserDropped(_logger, clientId, userName);
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogRevokedUserDropFailed(_logger, exception, clientId, userName);
        }
    }

    private static async Task<MqttClientStatus?> FindClientAsync(MqttServer server, string clientId)
    {
        foreach (var client in await server.GetClientsAsync().ConfigureAwait(false))
        {
            if (client.Id == clientId)
            {
                return client;
            }
        }

        return null;
    }

    private Task OnClientDisconnectedAsync(ClientDisconnectedEventArgs args)
    {
        _connected.Disconnected(args.ClientId);
        var info = _clients.GetValueOrDefault(args.ClientId);
        if (info?.Context is { RejectedOversizedPayload: > 0 } context)
        {
            LogPayloadTooLarge(_logger, args.ClientId, context.RejectedOversizedPayload);
        }

        if (args.DisconnectType != MqttClientDisconnectType.Takeover && info is not null)
        {
            // MQTT 5: the DISCONNECT packet may change the interval (3.14.2.2.2); MQTTnet reports it in the event.
            var expiry = info.ProtocolVersion == MqttProtocolVersion.V500 && args.SessionExpiryInterval != 0
                ? Math.Min(args.SessionExpiryInterval, _options.MaxSessionExpirySeconds)
                : info.SessionExpirySeconds;
            if (expiry > 0 && _server?.IsStarted == true)
            {
                _expiry.Disconnected(args.ClientId, expiry);
            }

            if (_persistent.IsEnabled)
            {
                _persistent.OnDisconnected(args.ClientId, expiry);
            }

            if (info.Context?.DelayedWill is { } will && (args.DisconnectType == MqttClientDisconnectType.NotClean || args.ReasonCode == MqttDisconnectReasonCode.DisconnectWithWillMessage))
            {
                // Sent after the will delay or when the session ends, whichever is first.
                ScheduleWill(args.ClientId, will, Math.Min(info.Context.WillDelaySeconds, expiry));
            }
        }

        var reason = args.ReasonCode?.ToString() ?? (args.DisconnectType == MqttClientDisconnectType.Clean ? "NormalDisconnection" : "none");
        LogClientDisconnected(_logger, args.ClientId, args.RemoteEndPoint?.ToString() ?? "?", args.DisconnectType.ToString(), reason);
        return Task.CompletedTask;
    }

    private void ScheduleWill(string clientId, MQTTnet.MqttApplicationMessage will, uint delaySeconds)
    {
        var state = new PendingWill(this, clientId, will);
        var timer = _timeProvider.CreateTimer(static s => ((PendingWill)s!).Fire(), state, TimeSpan.FromSeconds(delaySeconds), Timeout.InfiniteTimeSpan);
        state.Timer = timer;
        if (_pendingWills.TryGetValue(clientId, out var previous) && _pendingWills.TryUpdate(clientId, timer, previous))
        {
            previous.Dispose();
        }
        else
        {
            _pendingWills[clientId] = timer;
        }
    }

    private async Task PublishWillAsync(PendingWill pending)
    {
        if (!_pendingWills.TryRemove(new KeyValuePair<string, ITimer>(pending.ClientId, pending.Timer!)))
        {
            return;
        }

        pending.Timer!.Dispose();
        var server = _server;
        if (server is null || !server.IsStarted)
        {
            return;
        }

        try
        {
            _messageExpiry.Stamp(pending.Will);
            await server.InjectApplicationMessage(new InjectedMqttApplicationMessage(pending.Will) { SenderClientId = pending.ClientId }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            LogWillFailed(_logger, exception, pending.ClientId);
        }
    }

    private async Task PublishWillNowAsync(string clientId, MQTTnet.MqttApplicationMessage will)
    {
        var server = _server;
        if (server is null || !server.IsStarted)
        {
            return;
        }

        try
        {
            _messageExpiry.Stamp(will);
            await server.InjectApplicationMessage(new InjectedMqttApplicationMessage(will) { SenderClientId = clientId }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            LogWillFailed(_logger, exception, clientId);
        }
    }

    private sealed class PendingWill(BrokerHostedService owner, string clientId, MQTTnet.MqttApplicationMessage will)
    {
        public string ClientId { get; } = clientId;

        public MQTTnet.MqttApplicationMessage Will { get; } = will;

        public ITimer? Timer { get; set; }

        public void Fire() => _ = owner.PublishWillAsync(this);
    }

    private Task OnClientSubscribedAsync(ClientSubscribedTopicEventArgs args)
    {
        // Persistent sessions store subscriptions when the connection wrapper sees the SUBACK (the filter as sent).
        var filters = _subscriptions.GetOrAdd(args.ClientId, static _ => new Dictionary<string, MqttQualityOfServiceLevel>(StringComparer.Ordinal));
        lock (filters)
        {
            if (filters.TryAdd(args.TopicFilter.Topic, args.TopicFilter.QualityOfServiceLevel))
            {
                _metrics.SubscriptionsChanged(1);
            }
            else
            {
                filters[args.TopicFilter.Topic] = args.TopicFilter.QualityOfServiceLevel;
            }
        }

        return Task.CompletedTask;
    }

    private Task OnClientUnsubscribedAsync(ClientUnsubscribedTopicEventArgs args)
    {
        if (_subscriptions.TryGetValue(args.ClientId, out var filters))
        {
            lock (filters)
            {
                if (filters.Remove(args.TopicFilter))
                {
                    _metrics.SubscriptionsChanged(-1);
                }
            }
        }

        return Task.CompletedTask;
    }

    private Task OnSessionDeletedAsync(SessionDeletedEventArgs args)
    {
        if (_persistent.IsEnabled)
        {
            _persistent.OnDeleted(args.Id);
        }

        ResetSubscriptions(args.Id);
        _shared.OnCleanStart(args.Id);
        if (!_connected.IsConnected(args.Id))
        {
            _clients.TryRemove(args.Id, out _);
        }

        return Task.CompletedTask;
    }

    private void ResetSubscriptions(string clientId)
    {
        if (_subscriptions.TryRemove(clientId, out var filters))
        {
            lock (filters)
            {
                _metrics.SubscriptionsChanged(-filters.Count);
            }
        }
    }

    private Task OnMessageDroppedAsync(QueueMessageOverwrittenEventArgs args)
    {
        _metrics.MessageDropped();
        if (args.Packet is MQTTnet.Packets.MqttPublishPacket dropped)
        {
            _deadLetters.Record(DeadLetterReason.QueueOverflow, args.ReceiverClientId, null, dropped);
        }

        return Task.CompletedTask;
    }

    /// <summary>True when the ACL refuses <paramref name="access"/> to <paramref name="topic"/> for the client; <paramref name="identity"/> is who it was checked as.</summary>
    private bool IsDenied(AclAccess access, string topic, string? clientId, string? userName, out string? identity)
    {
        identity = null;
        var policy = _acl.Current;
        var allowAll = ReferenceEquals(policy, AclPolicy.AllowAll);
        if ((allowAll && !_users.HasTenantUsers) || string.IsNullOrEmpty(clientId) || (InternalPublisher.IsInternal(clientId) && !_connected.IsConnected(clientId)))
        {
            return false;
        }

        // The tenant is the connection's (fixed at CONNECT): a user revoked meanwhile stays confined until it is dropped.
        var known = _clients.TryGetValue(clientId, out var info);
        identity = known ? info!.Identity : userName;
        if ((known ? info!.Tenant : _users.TenantOf(identity)) is { } tenant && !TenantTopics.IsInside(tenant, topic))
        {
            return true; // a tenant's user stays under tenants/{tenant}/ whatever the ACL says
        }

        return !allowAll && !policy.IsAllowed(access, topic, identity, clientId);
    }

    private Task AuthorizePublishAsync(InterceptingPublishEventArgs args)
    {
        if (IsDenied(AclAccess.Publish, args.ApplicationMessage.Topic, args.ClientId, args.UserName, out var identity))
        {
            using var scope = BrokerTrace.BeginCorrelationScope(_logger, args.ApplicationMessage);
            args.ProcessPublish = false;
            args.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
            _metrics.PublishRejected();
            LogPublishDenied(_logger, args.ClientId, identity ?? "", args.ApplicationMessage.Topic);
            _deadLetters.Record(DeadLetterReason.AclDenied, args.ClientId, args.ClientId, args.ApplicationMessage);
        }

        return Task.CompletedTask;
    }

    private Task AuthorizeSubscriptionAsync(InterceptingSubscriptionEventArgs args)
    {
        if (IsDenied(AclAccess.Subscribe, args.TopicFilter.Topic, args.ClientId, args.UserName, out var identity))
        {
            args.ProcessSubscription = false;
            args.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            _metrics.SubscriptionRejected();
            LogSubscribeDenied(_logger, args.ClientId, identity ?? "", args.TopicFilter.Topic);
        }

        return Task.CompletedTask;
    }

    private Task FilterSharedDeliveryAsync(InterceptingClientApplicationMessageEnqueueEventArgs args)
    {
        if (!_shared.ShouldDeliver(args.ReceiverClientId, args.ApplicationMessage))
        {
            args.AcceptEnqueue = false;
        }

        return Task.CompletedTask;
    }

    private async Task LoadRetainedAsync(LoadingRetainedMessagesEventArgs args)
    {
        try
        {
            var loaded = new List<MQTTnet.MqttApplicationMessage>();
            var stored = await _retainedStore!.LoadAsync().ConfigureAwait(false);
            if (stored is null)
            {
                LogRetainedStoreFailed(_logger, "store unavailable");
                return;
            }

            foreach (var message in stored)
            {
                if (!_messageExpiry.IsExpired(message))
                {
                    loaded.Add(message);
                }
            }

            args.LoadedRetainedMessages = loaded;
        }
        catch (Exception exception)
        {
            LogRetainedStoreFailed(_logger, exception.Message);
        }
    }

    private Task SaveRetainedAsync(RetainedMessageChangedEventArgs args)
    {
        // On the publisher's path: only queued here, written by the write-behind queue.
        _writeBehind.SaveRetained(args.ChangedRetainedMessage);
        return Task.CompletedTask;
    }

    private Task ClearRetainedAsync(EventArgs args)
    {
        _writeBehind.ClearRetained();
        return Task.CompletedTask;
    }

    private async Task RestoreSessionsAsync(MqttServer server, CancellationToken cancellationToken)
    {
        IReadOnlyList<StoredSession>? stored = null;
        try
        {
            stored = await _sessionStore!.LoadAsync(_timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogSessionStoreFailed(_logger, exception.Message);
        }

        if (stored is null)
        {
            LogSessionStoreFailed(_logger, "store unavailable");
        }
        else if (stored.Count > 0)
        {
            foreach (var (clientId, remaining) in _persistent.Restore(stored))
            {
                _expiry.Disconnected(clientId, remaining);
            }

            // Until their clients return, MQTTnet does not know these sessions: queue their messages from the publish hook.
            server.InterceptingPublishAsync += QueueForRestoredSessionsAsync;
        }

        _persistent.OfflineCountChanged += () => UpdateEnqueueHook(server);
        UpdateEnqueueHook(server);
        _gate.ConnAckHook = (clientId, connAck) => _persistent.OnConnAckAsync(server, clientId, connAck);
    }

    /// <summary>The enqueue hook costs an allocation per delivery: installed only while a persistent session is offline.</summary>
    private void UpdateEnqueueHook(MqttServer server)
    {
        lock (_enqueueHookLock)
        {
            var needed = _persistent.OfflineCount > 0;
            if (needed && !_enqueueHookInstalled)
            {
                server.InterceptingClientEnqueueAsync += QueueForOfflineSessionAsync;
            }
            else if (!needed && _enqueueHookInstalled)
            {
                server.InterceptingClientEnqueueAsync -= QueueForOfflineSessionAsync;
            }

            _enqueueHookInstalled = needed;
        }
    }

    private Task QueueForOfflineSessionAsync(InterceptingClientApplicationMessageEnqueueEventArgs args)
    {
        if (args.AcceptEnqueue && _persistent.TryTakeOver(args.ReceiverClientId, args.SenderClientId, args.ApplicationMessage))
        {
            args.AcceptEnqueue = false;
        }

        return Task.CompletedTask;
    }

    private Task QueueForRestoredSessionsAsync(InterceptingPublishEventArgs args)
    {
        if (args.ProcessPublish && _persistent.HasRestoredOffline)
        {
            _persistent.OnPublished(args.ClientId, args.ApplicationMessage);
        }

        return Task.CompletedTask;
    }

    /// <summary>An expired retained message met at delivery is deleted, unless a newer one replaced it meanwhile.</summary>
    private async Task DeleteExpiredRetainedAsync(string topic, long deadline)
    {
        var server = _server;
        if (server is null || !server.IsStarted)
        {
            return;
        }

        try
        {
            var current = await server.GetRetainedMessageAsync(topic).ConfigureAwait(false);
            if (current is not null && MessageExpiry.TryGetDeadline(current.UserProperties, out var currentDeadline) && currentDeadline == deadline)
            {
                await server.UpdateRetainedMessageAsync(new MQTTnet.MqttApplicationMessage { Topic = topic, Retain = true }).ConfigureAwait(false);
                LogRetainedExpired(_logger, topic);
            }
        }
        catch (Exception exception)
        {
            LogRetainedExpiryFailed(_logger, exception, topic);
        }
    }

    private async Task DeleteSessionAsync(string clientId)
    {
        var server = _server;
        if (server is null || _connected.IsConnected(clientId))
        {
            return;
        }

        if (_persistent.IsEnabled && _deadLetters.IsEnabled)
        {
            // The session expired with messages still queued for it: they were never delivered.
            foreach (var (publisher, message) in _persistent.QueuedMessages(clientId))
            {
                _deadLetters.Record(DeadLetterReason.SessionExpired, clientId, publisher, message);
            }
        }

        var session = await server.GetSessionAsync(clientId).ConfigureAwait(false);
        if (session is not null)
        {
            await session.DeleteAsync().ConfigureAwait(false);
        }
        else if (_persistent.IsEnabled)
        {
            // Restored from the store, its client never came back: MQTTnet does not know it.
            _persistent.OnDeleted(clientId);
        }
    }

    /// <summary>
    /// Publishes a message the broker sends itself (replay, dead-letter re-publish) under <paramref name="senderClientId"/>,
    /// with its expiry deadline stamped; false when the broker is not running.
    /// </summary>
    internal async Task<bool> InjectAsync(MQTTnet.MqttApplicationMessage message, string senderClientId, CancellationToken cancellationToken)
    {
        var server = _server;
        if (server is null || !server.IsStarted || !_listening)
        {
            return false;
        }

        _messageExpiry.Stamp(message);
        await server.InjectApplicationMessage(new InjectedMqttApplicationMessage(message) { SenderClientId = senderClientId }, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Listener and identity of a connected client (console).</summary>
    internal bool TryGetClientDetails(string clientId, out string listener, out string? identity)
    {
        if (_clients.TryGetValue(clientId, out var info))
        {
            listener = info.Listener;
            identity = info.Identity;
            return true;
        }

        listener = "?";
        identity = null;
        return false;
    }

    /// <summary>Number of subscriptions of a session (console).</summary>
    internal int SubscriptionCount(string clientId)
    {
        if (!_subscriptions.TryGetValue(clientId, out var filters))
        {
            return 0;
        }

        lock (filters)
        {
            return filters.Count;
        }
    }

    /// <summary>Copy of every session's subscriptions (console; not a hot path).</summary>
    internal List<(string ClientId, string TopicFilter, MqttQualityOfServiceLevel QualityOfService)> SnapshotSubscriptions()
    {
        var result = new List<(string, string, MqttQualityOfServiceLevel)>();
        foreach (var (clientId, filters) in _subscriptions)
        {
            lock (filters)
            {
                foreach (var (filter, qos) in filters)
                {
                    result.Add((clientId, filter, qos));
                }
            }
        }

        return result;
    }

    internal static string VersionName(MqttProtocolVersion version) => version switch
    {
        MqttProtocolVersion.V500 => "5.0",
        MqttProtocolVersion.V311 => "3.1.1",
        MqttProtocolVersion.V310 => "3.1",
        _ => "?",
    };

    private sealed record ClientInfo(string Listener, string? Identity, string? Tenant, bool RuntimeUser, MqttProtocolVersion ProtocolVersion, uint SessionExpirySeconds, BrokerConnectionContext? Context);
}
