using System.Runtime.CompilerServices;
using IoTix.Broker.Security;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace IoTix.Broker.Sessions;

/// <summary>
/// MQTT 5 shared subscriptions ($share/{group}/{filter}) [MQTT-4.8.2], which MQTTnet 5 treats as plain topic
/// filters. SUBSCRIBE packets are rewritten before MQTTnet sees them: the client subscribes to {filter} (without
/// retained messages, which are not sent on a shared subscription) and joins the group
/// here. On each delivery the enqueue hook asks <see cref="ShouldDeliver"/>: a client that only receives a topic
/// through shared subscriptions gets a message only when it is the member chosen for it, round robin within the
/// group, preferring connected members.
/// </summary>
internal sealed class SharedSubscriptionRegistry
{
    private const string SharePrefix = "$share/";

    /// <summary>An UNSUBSCRIBE filter that must not reach MQTTnet (the underlying filter is still in use) is replaced by this.</summary>
    private const string KeptPrefix = "$iotix/kept/";

    private readonly object _lock = new();
    private readonly Dictionary<string, ClientEntry> _clients = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Group> _groups = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<MqttApplicationMessage, Dictionary<Group, string>> _choices = new();
    private readonly Func<string, bool> _isConnected;
    private Action? _firstShare;
    private bool _everShared;
    private int _sharedCount;

    public SharedSubscriptionRegistry(Func<string, bool> isConnected)
    {
        _isConnected = isConnected;
    }

    /// <summary>
    /// Runs <paramref name="action"/> once, when a client first joins any group (at once if one already has: sessions
    /// restored from the store join before the server installs its hooks), so the enqueue hook is only installed when needed.
    /// </summary>
    public void WhenFirstShare(Action action)
    {
        lock (_lock)
        {
            if (!_everShared)
            {
                _firstShare = action;
                return;
            }
        }

        action();
    }

    public bool HasShares => Volatile.Read(ref _sharedCount) > 0;

    public static bool TryParseShare(string topicFilter, out string group, out string filter)
    {
        group = "";
        filter = "";
        if (!topicFilter.StartsWith(SharePrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = topicFilter.AsSpan(SharePrefix.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0 || slash == rest.Length - 1 || rest[..slash].IndexOfAny('+', '#') >= 0)
        {
            return false;
        }

        group = rest[..slash].ToString();
        filter = rest[(slash + 1)..].ToString();
        return true;
    }

    public void OnCleanStart(string clientId)
    {
        lock (_lock)
        {
            if (_clients.Remove(clientId, out var entry))
            {
                foreach (var share in entry.Shares)
                {
                    Leave(share, clientId);
                }
            }
        }
    }

    public void OnSubscribe(string clientId, MqttSubscribePacket packet)
    {
        var created = false;
        lock (_lock)
        {
            foreach (var topicFilter in packet.TopicFilters)
            {
                var entry = GetOrAddClient(clientId);
                if (TryParseShare(topicFilter.Topic, out var group, out var filter))
                {
                    var key = group + "\n" + filter;
                    if (!_groups.TryGetValue(key, out var share))
                    {
                        share = new Group(key, filter);
                        _groups[key] = share;
                    }

                    if (!share.Members.Contains(clientId))
                    {
                        share.Members.Add(clientId);
                        entry.Shares.Add(share);
                        Interlocked.Increment(ref _sharedCount);
                        created |= !_everShared;
                        _everShared = true;
                    }

                    topicFilter.Topic = filter;
                    topicFilter.RetainHandling = MqttRetainHandling.DoNotSendOnSubscribe;
                    topicFilter.NoLocal = false;
                }
                else
                {
                    entry.Filters.Add(topicFilter.Topic);
                }
            }
        }

        if (created)
        {
            Interlocked.Exchange(ref _firstShare, null)?.Invoke();
        }
    }

    public void OnUnsubscribe(string clientId, MqttUnsubscribePacket packet)
    {
        lock (_lock)
        {
            if (!_clients.TryGetValue(clientId, out var entry))
            {
                return;
            }

            for (var i = 0; i < packet.TopicFilters.Count; i++)
            {
                var topic = packet.TopicFilters[i];
                string underlying;
                if (TryParseShare(topic, out var group, out var filter))
                {
                    var share = entry.Shares.Find(s => s.Key == group + "\n" + filter);
                    if (share is null)
                    {
                        continue;
                    }

                    entry.Shares.Remove(share);
                    Leave(share, clientId);
                    underlying = filter;
                }
                else
                {
                    entry.Filters.Remove(topic);
                    underlying = topic;
                }

                var stillUsed = entry.Filters.Contains(underlying) || entry.Shares.Exists(s => s.Filter == underlying);
                packet.TopicFilters[i] = stillUsed ? KeptPrefix + underlying : underlying;
            }
        }
    }

    /// <summary>Whether <paramref name="receiverId"/>, whose session matched <paramref name="message"/>, gets it.</summary>
    public bool ShouldDeliver(string receiverId, MqttApplicationMessage message)
    {
        lock (_lock)
        {
            if (!_clients.TryGetValue(receiverId, out var entry) || entry.Shares.Count == 0)
            {
                return true;
            }

            foreach (var filter in entry.Filters)
            {
                if (MqttTopicMatch.Matches(filter, message.Topic))
                {
                    return true;
                }
            }

            var choices = _choices.GetOrCreateValue(message);
            foreach (var share in entry.Shares)
            {
                if (!MqttTopicMatch.Matches(share.Filter, message.Topic))
                {
                    continue;
                }

                if (!choices.TryGetValue(share, out var chosen))
                {
                    chosen = Choose(share);
                    choices[share] = chosen;
                }

                if (string.Equals(chosen, receiverId, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }
    }

    private string Choose(Group share)
    {
        var count = share.Members.Count;
        for (var i = 0; i < count; i++)
        {
            var candidate = share.Members[(share.Next + i) % count];
            if (_isConnected(candidate))
            {
                share.Next = (share.Next + i + 1) % count;
                return candidate;
            }
        }

        // Nobody connected: queue for the next member's persistent session.
        var fallback = share.Members[share.Next % count];
        share.Next = (share.Next + 1) % count;
        return fallback;
    }

    private ClientEntry GetOrAddClient(string clientId)
    {
        if (!_clients.TryGetValue(clientId, out var entry))
        {
            entry = new ClientEntry();
            _clients[clientId] = entry;
        }

        return entry;
    }

    private void Leave(Group share, string clientId)
    {
        share.Members.Remove(clientId);
        Interlocked.Decrement(ref _sharedCount);
        if (share.Members.Count == 0)
        {
            _groups.Remove(share.Key);
        }
    }

    private sealed class ClientEntry
    {
        public HashSet<string> Filters { get; } = new(StringComparer.Ordinal);

        public List<Group> Shares { get; } = [];
    }

    private sealed class Group(string key, string filter)
    {
        public string Key { get; } = key;

        public string Filter { get; } = filter;

        public List<string> Members { get; } = [];

        public int Next { get; set; }
    }
}
