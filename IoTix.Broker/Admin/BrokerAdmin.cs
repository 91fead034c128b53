using IoTix.Broker.Listeners;
using IoTix.Broker.Security;
using IoTix.Broker.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IoTix.Broker.Admin;

/// <summary>The console's view of the running MQTTnet server and the broker's own bookkeeping.</summary>
internal sealed partial class BrokerAdmin(
    BrokerHostedService host,
    AclStore acl,
    IOptions<BrokerOptions> options,
    IEnumerable<BrokerTransport> transports,
    ILogger<BrokerAdmin> logger) : IBrokerAdmin
{
    private const string AdminReason = "Disconnected by an administrator";

    private readonly BrokerOptions _options = options.Value;

    public bool IsRunning => host.IsListening && host.Server is { IsStarted: true };

    public IReadOnlyList<BrokerListenerInfo> GetListeners()
    {
        var running = IsRunning;
        var address = _options.BindAddress;
        var bound = host.BoundPorts;
        var hasWebSocket = false;
        foreach (var transport in transports)
        {
            hasWebSocket |= transport.Name == "ws";
        }

        var result = new List<BrokerListenerInfo>(4)
        {
            Listener("tcp", address, _options.Listeners.Tcp.Port, bound, running, available: true, ""),
            Listener("tls", address, _options.Listeners.Tls.Port, bound, running, _options.Tls.IsConfigured, "needs Broker:Tls:CertificateFile"),
            WebListener("ws", address, _options.Listeners.WebSocket.Port, running && hasWebSocket, available: true, ""),
            WebListener("wss", address, _options.Listeners.SecureWebSocket.Port, running && hasWebSocket, _options.Tls.IsConfigured, "needs Broker:Tls:CertificateFile"),
        };
        return result;
    }

    public async Task<IReadOnlyList<BrokerClientInfo>> GetClientsAsync(CancellationToken cancellationToken = default)
    {
        if (host.Server is not { IsStarted: true } server)
        {
            return [];
        }

        var clients = await ListClientsAsync(server, cancellationToken).ConfigureAwait(false);
        var result = new List<BrokerClientInfo>(clients.Count);
        foreach (var client in clients)
        {
            host.TryGetClientDetails(client.Id, out var listener, out var identity);
            result.Add(new BrokerClientInfo(
                client.Id,
                client.RemoteEndPoint?.ToString() ?? "?",
                BrokerHostedService.VersionName(client.ProtocolVersion),
                listener,
                identity,
                new DateTimeOffset(DateTime.SpecifyKind(client.ConnectedTimestamp, DateTimeKind.Utc)),
                host.SubscriptionCount(client.Id),
                client.Session?.PendingApplicationMessagesCount ?? 0,
                client.ReceivedApplicationMessagesCount,
                client.SentApplicationMessagesCount,
                client.BytesReceived,
                client.BytesSent));
        }

        result.Sort(static (a, b) => string.CompareOrdinal(a.ClientId, b.ClientId));
        return result;
    }

    public async Task<IReadOnlyList<BrokerSubscriptionInfo>> GetSubscriptionsAsync(CancellationToken cancellationToken = default)
    {
        if (host.Server is not { IsStarted: true } server)
        {
            return [];
        }

        var connected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var client in await ListClientsAsync(server, cancellationToken).ConfigureAwait(false))
        {
            connected.Add(client.Id);
        }

        var snapshot = host.SnapshotSubscriptions();
        var result = new List<BrokerSubscriptionInfo>(snapshot.Count);
        foreach (var (clientId, filter, qos) in snapshot)
        {
            result.Add(new BrokerSubscriptionInfo(filter, clientId, qos, connected.Contains(clientId)));
        }

        result.Sort(static (a, b) =>
        {
            var byClient = string.CompareOrdinal(a.ClientId, b.ClientId);
            return byClient != 0 ? byClient : string.CompareOrdinal(a.TopicFilter, b.TopicFilter);
        });
        return result;
    }

    public async Task<IReadOnlyList<RetainedMessageInfo>> GetRetainedMessagesAsync(int previewBytes = 4096, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(previewBytes);
        if (host.Server is not { IsStarted: true } server)
        {
            return [];
        }

        IList<MqttApplicationMessage> messages;
        try
        {
            messages = await server.GetRetainedMessagesAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException) when (!server.IsStarted)
        {
            return [];
        }

        var result = new List<RetainedMessageInfo>(messages.Count);
        foreach (var message in messages)
        {
            var payload = message.Payload;
            var size = (int)Math.Min(payload.Length, int.MaxValue);
            var preview = System.Buffers.BuffersExtensions.ToArray(payload.Slice(0, Math.Min(size, previewBytes)));
            result.Add(new RetainedMessageInfo(message.Topic, size, message.QualityOfServiceLevel, message.ContentType, preview, preview.Length == size));
        }

        result.Sort(static (a, b) => string.CompareOrdinal(a.Topic, b.Topic));
        return result;
    }

    public async Task<BrokerAdminResult> DeleteRetainedMessageAsync(string topic, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(topic))
        {
            return new BrokerAdminResult(BrokerAdminError.InvalidArgument, "A topic is required.");
        }

        if (host.Server is not { IsStarted: true } server)
        {
            return NotRunning();
        }

        try
        {
            var current = await server.GetRetainedMessageAsync(topic).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                return new BrokerAdminResult(BrokerAdminError.NotFound, $"No retained message on '{topic}' (already deleted or replaced by an empty one).");
            }

            // An empty retained payload removes the retained message [MQTT-3.3.1-6]; the store follows through the change event.
            await server.UpdateRetainedMessageAsync(new MqttApplicationMessage { Topic = topic, Retain = true }).WaitAsync(cancellationToken).ConfigureAwait(false);
            LogRetainedDeleted(logger, topic);
            return BrokerAdminResult.Ok($"Retained message on '{topic}' deleted.");
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogAdminActionFailed(logger, exception, "delete retained message", topic);
            return new BrokerAdminResult(BrokerAdminError.Failed, $"The retained message on '{topic}' could not be deleted: {exception.Message}");
        }
    }

    public async Task<BrokerAdminResult> DisconnectClientAsync(string clientId, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(clientId))
        {
            return new BrokerAdminResult(BrokerAdminError.InvalidArgument, "A client id is required.");
        }

        if (host.Server is not { IsStarted: true } server)
        {
            return NotRunning();
        }

        try
        {
            foreach (var client in await server.GetClientsAsync().WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                if (client.Id == clientId)
                {
                    await client.DisconnectAsync(new MqttServerClientDisconnectOptions
                    {
                        ReasonCode = MqttDisconnectReasonCode.AdministrativeAction,
                        ReasonString = AdminReason,
                    }).WaitAsync(cancellationToken).ConfigureAwait(false);
                    LogClientDisconnected(logger, clientId);
                    return BrokerAdminResult.Ok($"Client '{clientId}' disconnected.");
                }
            }

            return new BrokerAdminResult(BrokerAdminError.NotFound, $"Client '{clientId}' is not connected (it may have disconnected already).");
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogAdminActionFailed(logger, exception, "disconnect client", clientId);
            return new BrokerAdminResult(BrokerAdminError.Failed, $"Client '{clientId}' could not be disconnected: {exception.Message}");
        }
    }

    public BrokerAclInfo GetAcl()
    {
        var policy = acl.Current;
        return new BrokerAclInfo(acl.SourcePath, acl.LoadedAt, acl.Version, policy.DefaultAllow, policy.Rules);
    }

    public AclTestResult TestAccess(string? userName, string clientId, string topic, AclAccess action)
    {
        if (action is not (AclAccess.Publish or AclAccess.Subscribe))
        {
            return new AclTestResult(false, "Choose publish or subscribe.");
        }

        if (string.IsNullOrEmpty(topic))
        {
            return new AclTestResult(false, "A topic is required.");
        }

        if (action == AclAccess.Publish && topic.AsSpan().IndexOfAny('+', '#') >= 0)
        {
            return new AclTestResult(false, "A PUBLISH topic name cannot contain the wildcards + or # [MQTT-3.3.2-2].");
        }

        if (acl.SourcePath is null)
        {
            return new AclTestResult(true, "No ACL file is configured (Broker:AclFile): every client may publish and subscribe to every topic.");
        }

        var user = string.IsNullOrEmpty(userName) ? null : userName;
        var allowed = acl.Current.IsAllowed(action, topic, user, clientId ?? string.Empty, out var rule);
        var verb = action == AclAccess.Publish ? "publish to" : "subscribe to";
        var who = user is null ? $"client '{clientId}' (no user name)" : $"user '{user}' (client '{clientId}')";
        var reason = rule is null
            ? $"No rule matches; the default ({(acl.Current.DefaultAllow ? "allow" : "deny")}) decides: {who} may {(allowed ? "" : "not ")}{verb} '{topic}'."
            : $"Rule '{Describe(rule)}' decides: {who} may {(allowed ? "" : "not ")}{verb} '{topic}'.";
        return new AclTestResult(allowed, reason);
    }

    /// <summary>One rule in words, e.g. "deny publish devices/alice/secret (user alice)".</summary>
    public static string Describe(AclRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var action = rule.Access switch
        {
            AclAccess.Publish => "publish",
            AclAccess.Subscribe => "subscribe",
            _ => "publish+subscribe",
        };
        var text = $"{(rule.Allow ? "allow" : "deny")} {action} {rule.Topic}";
        if (rule.Username is not null)
        {
            text += $" (user {rule.Username})";
        }

        if (rule.ClientIdPattern is not null)
        {
            text += $" (client id {rule.ClientIdPattern})";
        }

        return text;
    }

    /// <summary>The server may stop between the caller's check and the call: then there are no clients.</summary>
    private static async Task<IList<MqttClientStatus>> ListClientsAsync(MqttServer server, CancellationToken cancellationToken)
    {
        try
        {
            return await server.GetClientsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException) when (!server.IsStarted)
        {
            return [];
        }
    }

    private static BrokerAdminResult NotRunning() =>
        new(BrokerAdminError.NotRunning, "The broker is not running (Broker:Enabled is false, or it is starting or stopping).");

    private static BrokerListenerInfo Listener(string name, string address, int port, IReadOnlyDictionary<string, int> bound, bool running, bool available, string unavailableNote)
    {
        if (port == 0)
        {
            return new BrokerListenerInfo(name, address, 0, BrokerListenerState.Off, $"port 0 (Broker:Listeners:{ConfigName(name)}:Port)");
        }

        if (!available)
        {
            return new BrokerListenerInfo(name, address, port, BrokerListenerState.Off, unavailableNote);
        }

        return running && bound.TryGetValue(name, out var boundPort)
            ? new BrokerListenerInfo(name, address, boundPort, BrokerListenerState.Listening, "")
            : new BrokerListenerInfo(name, address, port, BrokerListenerState.Stopped, "broker not running");
    }

    private static BrokerListenerInfo WebListener(string name, string address, int port, bool running, bool available, string unavailableNote)
    {
        if (port == 0)
        {
            return new BrokerListenerInfo(name, address, 0, BrokerListenerState.Off, $"port 0 (Broker:Listeners:{ConfigName(name)}:Port)");
        }

        if (!available)
        {
            return new BrokerListenerInfo(name, address, port, BrokerListenerState.Off, unavailableNote);
        }

        return running
            ? new BrokerListenerInfo(name, address, port, BrokerListenerState.Listening, "path /mqtt, served by the web host")
            : new BrokerListenerInfo(name, address, port, BrokerListenerState.Stopped, "broker not running");
    }

    private static string ConfigName(string listener) => listener switch
    {
        "tcp" => "Tcp",
        "tls" => "Tls",
        "ws" => "WebSocket",
        _ => "SecureWebSocket",
    };
}
