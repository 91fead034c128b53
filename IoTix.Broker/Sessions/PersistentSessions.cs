using System.Buffers;
using IoTix.Broker.DeadLetters;
using IoTix.Broker.Observability;
using IoTix.Broker.Persistence;
using IoTix.Broker.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IoTix.Broker.Sessions;

/// <summary>
/// Makes persistent sessions (clean start = 0 with a session expiry) survive a broker restart (FR-015..FR-017).
/// MQTTnet keeps sessions in memory and cannot reload one, so IoTix mirrors each persistent session's state:
/// <list type="bullet">
/// <item>subscriptions (with their options, their Subscription Identifier, a shared one as <c>$share/{group}/{filter}</c>)
/// as the broker acknowledges a SUBSCRIBE or UNSUBSCRIBE (the connection wrapper reports what the client sent and what
/// was granted, so ACL denials are not stored);</item>
/// <item>while the client is offline, its QoS 1/2 messages: IoTix takes them over from MQTTnet's session queue
/// (enqueue hook) into its own bounded queue (<c>Broker:MaxPendingMessagesPerClient</c>, oldest dropped);</item>
/// <item>every change goes to the <see cref="ISessionStore"/> through the write-behind queue.</item>
/// </list>
/// After a restart the stored sessions are loaded; messages published to them before their client returns are
/// queued through the publish hook; their shared subscriptions rejoin their groups at once (a message for a group
/// none of whose members is connected is queued for one of them). When the client reconnects with clean start = 0, the
/// CONNACK hook of the connection wrapper restores the subscriptions server-side, sets Session Present
/// [MQTT-3.2.2-2], hands the queued messages to MQTTnet's session and gives the wrapper the restored Subscription
/// Identifiers (MQTTnet's server API subscribes without one; the wrapper adds them to matching deliveries). Messages
/// handed over (or queued while the client was connected) are in memory until acknowledged.
/// </summary>
internal sealed partial class PersistentSessions
{
    private readonly Dictionary<string, SessionState> _sessions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _restoredOffline = new(StringComparer.Ordinal);
    private readonly BrokerWriteBehind _writeBehind;
    private readonly SharedSubscriptionRegistry _shared;
    private readonly MessageExpiry _messageExpiry;
    private readonly BrokerMetrics _metrics;
    private readonly DeadLetterRecorder _deadLetters;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<PersistentSessions> _logger;
    private readonly int _maxQueued;
    private int _offlineCount;

    public PersistentSessions(BrokerWriteBehind writeBehind, SharedSubscriptionRegistry shared, MessageExpiry messageExpiry, BrokerMetrics metrics, DeadLetterRecorder deadLetters, TimeProvider timeProvider, IOptions<BrokerOptions> options, ILogger<PersistentSessions> logger)
    {
        _writeBehind = writeBehind;
        _shared = shared;
        _messageExpiry = messageExpiry;
        _metrics = metrics;
        _deadLetters = deadLetters;
        _timeProvider = timeProvider;
        _logger = logger;
        _maxQueued = options.Value.MaxPendingMessagesPerClient;
    }

    /// <summary>True when a session store is registered and persistence is on.</summary>
    public bool IsEnabled => _writeBehind.PersistsSessions;

    /// <summary>Sessions whose client is offline (IoTix then queues their messages).</summary>
    public int OfflineCount => Volatile.Read(ref _offlineCount);

    /// <summary>Restored sessions whose client has not reconnected yet (MQTTnet does not know them).</summary>
    public bool HasRestoredOffline
    {
        get
        {
            lock (_sessions)
            {
                return _restoredOffline.Count > 0;
            }
        }
    }

    /// <summary>Raised after <see cref="OfflineCount"/> went from 0 to 1 or back (the server installs its hook).</summary>
    public event Action? OfflineCountChanged;

    /// <summary>Takes the stored sessions as offline sessions; returns each one's remaining expiry for the monitor.</summary>
    public List<(string ClientId, uint RemainingSeconds)> Restore(IReadOnlyList<StoredSession> stored)
    {
        var now = _timeProvider.GetUtcNow();
        var expiries = new List<(string, uint)>(stored.Count);
        lock (_sessions)
        {
            foreach (var session in stored)
            {
                var state = new SessionState(session.ExpirySeconds) { Restored = true, Online = false };
                foreach (var filter in session.Subscriptions)
                {
                    state.Subscriptions[filter.Topic] = filter;
                    if (session.SubscriptionIdentifiers is { } identifiers && identifiers.TryGetValue(filter.Topic, out var identifier) && identifier > 0)
                    {
                        state.Identifiers[filter.Topic] = identifier;
                    }
                }

                // Shared subscriptions rejoin their groups now: deliveries to a group go to a connected member, else
                // are queued for this session.
                _shared.OnSubscribe(session.ClientId, ResumePacket(state));

                foreach (var message in session.Messages)
                {
                    state.Queue.Enqueue(message);
                    state.NextSequence = Math.Max(state.NextSequence, message.Sequence);
                }

                _sessions[session.ClientId] = state;
                _restoredOffline.Add(session.ClientId);
                var expiresAt = session.ExpiresAt ?? now.AddSeconds(session.ExpirySeconds);
                expiries.Add((session.ClientId, (uint)Math.Clamp(Math.Ceiling((expiresAt - now).TotalSeconds), 0, uint.MaxValue)));
            }

            _offlineCount = _sessions.Count;
        }

        LogRestored(_logger, stored.Count);
        NotifyOfflineCount(0, stored.Count);
        return expiries;
    }

    /// <summary>A CONNECT was accepted: clean start discards a stored session; an expiry &gt; 0 makes the new one persistent.</summary>
    public void OnConnecting(string clientId, bool cleanStart, uint expirySeconds)
    {
        bool deleted;
        lock (_sessions)
        {
            deleted = (cleanStart || expirySeconds == 0) && Remove(clientId);
            if (expirySeconds > 0)
            {
                if (!_sessions.TryGetValue(clientId, out var state))
                {
                    _sessions[clientId] = new SessionState(expirySeconds) { Online = true };
                }
                else
                {
                    state.ExpirySeconds = expirySeconds;
                }
            }
        }

        if (deleted)
        {
            _writeBehind.Save(new SessionDeleted(clientId));
        }

        if (expirySeconds > 0)
        {
            _writeBehind.Save(new SessionSaved(clientId, expirySeconds, null));
        }
    }

    /// <summary>
    /// Before the CONNACK of a persistent session goes out: restores a session MQTTnet does not have (after a
    /// restart) and hands the messages queued while offline to MQTTnet's session.
    /// </summary>
    public async Task<RestoredSubscriptionIdentifiers?> OnConnAckAsync(MqttServer server, string clientId, MqttConnAckPacket connAck)
    {
        MqttSubscribePacket? restore = null;
        RestoredSubscriptionIdentifiers? identifiers = null;
        Queue<StoredMessage>? queued = null;
        var wasOffline = false;
        lock (_sessions)
        {
            if (!_sessions.TryGetValue(clientId, out var state))
            {
                return null;
            }

            if (state.Restored && !connAck.IsSessionPresent)
            {
                restore = ResumePacket(state);
                foreach (var (topicFilter, identifier) in state.Identifiers)
                {
                    (identifiers ??= new RestoredSubscriptionIdentifiers()).Add(topicFilter, identifier);
                }
            }

            if (state.Queue.Count > 0)
            {
                queued = new Queue<StoredMessage>(state.Queue);
                state.Queue.Clear();
            }

            wasOffline = !state.Online;
            state.Online = true;
            state.Restored = false;
            _restoredOffline.Remove(clientId);
        }

        if (wasOffline)
        {
            NotifyOfflineCount(Interlocked.Decrement(ref _offlineCount) + 1, Volatile.Read(ref _offlineCount));
        }

        if (restore is not null)
        {
            if (restore.TopicFilters.Count > 0)
            {
                // Shared filters become their underlying filter (and the client its group's member again).
                _shared.OnSubscribe(clientId, restore);
                await server.SubscribeAsync(clientId, restore.TopicFilters).ConfigureAwait(false);
            }

            connAck.IsSessionPresent = true;
            LogSessionResumed(_logger, clientId, restore.TopicFilters.Count, queued?.Count ?? 0);
        }

        if (queued is null)
        {
            return identifiers;
        }

        var session = await server.GetSessionAsync(clientId).ConfigureAwait(false);
        long last = 0;
        foreach (var stored in queued)
        {
            last = stored.Sequence;
            if (_messageExpiry.IsExpired(stored.Message))
            {
                _metrics.MessageExpired();
                continue;
            }

            session?.TryEnqueueApplicationMessage(stored.Message, out _);
        }

        _writeBehind.Save(new MessagesDequeued(clientId, last));
        return identifiers;
    }

    /// <summary>
    /// The broker answered a SUBSCRIBE: <paramref name="requested"/> are the filters as the client sent them,
    /// <paramref name="reasonCodes"/> the SUBACK's answers in the same order; granted ones are stored with the
    /// granted QoS and the packet's Subscription Identifier.
    /// </summary>
    public void OnSubscribeAcknowledged(string clientId, IReadOnlyList<MqttTopicFilter> requested, uint subscriptionIdentifier, IReadOnlyList<MqttSubscribeReasonCode> reasonCodes)
    {
        var count = Math.Min(requested.Count, reasonCodes.Count);
        for (var i = 0; i < count; i++)
        {
            var reasonCode = reasonCodes[i];
            if (reasonCode > MqttSubscribeReasonCode.GrantedQoS2)
            {
                continue;
            }

            var filter = requested[i];
            filter.QualityOfServiceLevel = (MqttQualityOfServiceLevel)reasonCode;
            lock (_sessions)
            {
                if (!_sessions.TryGetValue(clientId, out var state))
                {
                    return;
                }

                state.Subscriptions[filter.Topic] = filter;
                if (subscriptionIdentifier > 0)
                {
                    state.Identifiers[filter.Topic] = subscriptionIdentifier;
                }
                else
                {
                    state.Identifiers.Remove(filter.Topic);
                }
            }

            _writeBehind.Save(new SubscriptionSaved(clientId, filter, subscriptionIdentifier));
        }
    }

    /// <summary>The broker answered an UNSUBSCRIBE of <paramref name="topicFilters"/> (as the client sent them).</summary>
    public void OnUnsubscribeAcknowledged(string clientId, IReadOnlyList<string> topicFilters)
    {
        foreach (var topicFilter in topicFilters)
        {
            lock (_sessions)
            {
                if (!_sessions.TryGetValue(clientId, out var state) || !state.Subscriptions.Remove(topicFilter))
                {
                    continue;
                }

                state.Identifiers.Remove(topicFilter);
            }

            _writeBehind.Save(new SubscriptionDeleted(clientId, topicFilter));
        }
    }

    /// <summary>The client left; its session lives on for <paramref name="expirySeconds"/> (0: it ends now).</summary>
    public void OnDisconnected(string clientId, uint expirySeconds)
    {
        if (expirySeconds == 0)
        {
            OnDeleted(clientId);
            return;
        }

        lock (_sessions)
        {
            if (!_sessions.TryGetValue(clientId, out var state) || !state.Online)
            {
                return;
            }

            state.Online = false;
            state.ExpirySeconds = expirySeconds;
        }

        _writeBehind.Save(new SessionSaved(clientId, expirySeconds, _timeProvider.GetUtcNow().AddSeconds(expirySeconds)));
        var count = Interlocked.Increment(ref _offlineCount);
        NotifyOfflineCount(count - 1, count);
    }

    /// <summary>
    /// MQTTnet is about to queue <paramref name="message"/> for <paramref name="receiverClientId"/>: true when IoTix
    /// queues it instead (an offline persistent session, QoS 1/2 granted).
    /// </summary>
    public bool TryTakeOver(string receiverClientId, string? senderClientId, MqttApplicationMessage message)
    {
        if (Volatile.Read(ref _offlineCount) == 0 || message.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce)
        {
            return false;
        }

        lock (_sessions)
        {
            return _sessions.TryGetValue(receiverClientId, out var state) && !state.Online && Queue(receiverClientId, state, senderClientId, message);
        }
    }

    /// <summary>A message was published: queue it for restored sessions whose client has not returned yet.</summary>
    public void OnPublished(string? senderClientId, MqttApplicationMessage message)
    {
        if (message.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce)
        {
            return;
        }

        lock (_sessions)
        {
            foreach (var clientId in _restoredOffline)
            {
                Queue(clientId, _sessions[clientId], senderClientId, message);
            }
        }
    }

    /// <summary>The session ended (deleted by MQTTnet, expired, or replaced by a clean start).</summary>
    public void OnDeleted(string clientId)
    {
        bool removed;
        lock (_sessions)
        {
            removed = Remove(clientId);
        }

        if (removed)
        {
            _writeBehind.Save(new SessionDeleted(clientId));
        }
    }

    /// <summary>Copies of the unexpired messages queued for an offline session, oldest first (dead letters when it expires).</summary>
    public List<(string? Publisher, MqttApplicationMessage Message)> QueuedMessages(string clientId)
    {
        var result = new List<(string?, MqttApplicationMessage)>();
        lock (_sessions)
        {
            if (_sessions.TryGetValue(clientId, out var state))
            {
                foreach (var stored in state.Queue)
                {
                    if (!_messageExpiry.IsExpired(stored.Message))
                    {
                        result.Add((null, stored.Message));
                    }
                }
            }
        }

        return result;
    }

    public int QueuedCount(string clientId)
    {
        lock (_sessions)
        {
            return _sessions.TryGetValue(clientId, out var state) ? state.Queue.Count : 0;
        }
    }

    private bool Remove(string clientId)
    {
        if (!_sessions.Remove(clientId, out var state))
        {
            return false;
        }

        _restoredOffline.Remove(clientId);
        if (state.Restored)
        {
            // Joined its shared groups when loaded; MQTTnet never knew it, so nothing else takes it out of them.
            _shared.OnCleanStart(clientId);
        }

        if (!state.Online)
        {
            var count = Interlocked.Decrement(ref _offlineCount);
            NotifyOfflineCount(count + 1, count);
        }

        return true;
    }

    private bool Queue(string clientId, SessionState state, string? senderClientId, MqttApplicationMessage message)
    {
        var granted = MqttQualityOfServiceLevel.AtMostOnce;
        var retainAsPublished = false;
        var matched = false;
        foreach (var filter in state.Subscriptions.Values)
        {
            var shared = SharedSubscriptionRegistry.TryParseShare(filter.Topic, out _, out var underlying);
            if ((filter.NoLocal && !shared && string.Equals(clientId, senderClientId, StringComparison.Ordinal))
                || !MqttTopicMatch.Matches(shared ? underlying : filter.Topic, message.Topic)
                || (shared && !_shared.ShouldDeliver(clientId, message)))
            {
                continue;
            }

            matched = true;
            granted = (MqttQualityOfServiceLevel)Math.Max((int)granted, Math.Min((int)filter.QualityOfServiceLevel, (int)message.QualityOfServiceLevel));
            retainAsPublished |= filter.RetainAsPublished;
        }

        if (!matched || granted == MqttQualityOfServiceLevel.AtMostOnce)
        {
            return false;
        }

        var copy = new MqttApplicationMessage
        {
            Topic = message.Topic,
            Payload = message.Payload.IsEmpty ? default : new System.Buffers.ReadOnlySequence<byte>(message.Payload.ToArray()),
            QualityOfServiceLevel = granted,
            Retain = retainAsPublished && message.Retain,
            ContentType = message.ContentType,
            ResponseTopic = message.ResponseTopic,
            CorrelationData = message.CorrelationData,
            PayloadFormatIndicator = message.PayloadFormatIndicator,
            MessageExpiryInterval = message.MessageExpiryInterval,
            UserProperties = message.UserProperties is null ? null : [.. message.UserProperties],
        };
        var stored = new StoredMessage(++state.NextSequence, copy);
        state.Queue.Enqueue(stored);
        _writeBehind.Save(new MessageQueued(clientId, stored.Sequence, copy));
        if (state.Queue.Count > _maxQueued)
        {
            // Same bound and overflow behaviour as MQTTnet's session queue: the oldest message goes.
            var dropped = state.Queue.Dequeue();
            _metrics.MessageDropped();
            _deadLetters.Record(DeadLetterReason.QueueOverflow, clientId, null, dropped.Message);
            _writeBehind.Save(new MessagesDequeued(clientId, dropped.Sequence));
        }

        return true;
    }

    /// <summary>A SUBSCRIBE of the session's stored subscriptions (copies), resumed without retained messages [MQTT-3.3.1-9].</summary>
    private static MqttSubscribePacket ResumePacket(SessionState state)
    {
        var packet = new MqttSubscribePacket();
        foreach (var filter in state.Subscriptions.Values)
        {
            packet.TopicFilters.Add(CopyOf(filter, MqttRetainHandling.DoNotSendOnSubscribe));
        }

        return packet;
    }

    /// <summary>A copy of <paramref name="filter"/> with the given Retain Handling.</summary>
    internal static MqttTopicFilter CopyOf(MqttTopicFilter filter, MqttRetainHandling retainHandling) => new()
    {
        Topic = filter.Topic,
        QualityOfServiceLevel = filter.QualityOfServiceLevel,
        NoLocal = filter.NoLocal,
        RetainAsPublished = filter.RetainAsPublished,
        RetainHandling = retainHandling,
    };

    private void NotifyOfflineCount(int before, int after)
    {
        if ((before == 0) != (after == 0))
        {
            OfflineCountChanged?.Invoke();
        }
    }

    private sealed class SessionState(uint expirySeconds)
    {
        public uint ExpirySeconds { get; set; } = expirySeconds;

        public bool Online { get; set; }

        /// <summary>Loaded from the store; MQTTnet has no session for it until the client reconnects.</summary>
        public bool Restored { get; set; }

        /// <summary>By topic filter as the client sent it (<c>$share/...</c> for shared ones).</summary>
        public Dictionary<string, MqttTopicFilter> Subscriptions { get; } = new(StringComparer.Ordinal);

        /// <summary>Subscription Identifiers by topic filter (only those that have one).</summary>
        public Dictionary<string, uint> Identifiers { get; } = new(StringComparer.Ordinal);

        public Queue<StoredMessage> Queue { get; } = new();

        public long NextSequence { get; set; }
    }

    [LoggerMessage(EventId = 1410, Level = LogLevel.Information, Message = "Restored {Count} persistent sessions from the store")]
    private static partial void LogRestored(ILogger logger, int count);

    [LoggerMessage(EventId = 1411, Level = LogLevel.Information, Message = "Session {ClientId} resumed after a restart: {Subscriptions} subscriptions restored, {Queued} queued messages")]
    private static partial void LogSessionResumed(ILogger logger, string clientId, int subscriptions, int queued);
}
