using IoTix.Broker.Security;
using MQTTnet.Packets;

namespace IoTix.Broker.Sessions;

/// <summary>
/// Subscription Identifiers of a persistent session's subscriptions restored after a restart. MQTTnet's server API
/// subscribes without an identifier, so the connection wrapper adds these to matching deliveries [MQTT-3.3.4-3] until
/// the client subscribes to (or unsubscribes from) that topic filter again. One connection's, used by its send loop
/// and its receive loop.
/// </summary>
internal sealed class RestoredSubscriptionIdentifiers
{
    private readonly List<Entry> _entries = [];

    public bool IsEmpty
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count == 0;
            }
        }
    }

    /// <summary>A restored subscription; <paramref name="topicFilter"/> as the client sent it (<c>$share/...</c> for shared ones).</summary>
    public void Add(string topicFilter, uint identifier)
    {
        var match = SharedSubscriptionRegistry.TryParseShare(topicFilter, out _, out var underlying) ? underlying : topicFilter;
        lock (_entries)
        {
            _entries.Add(new Entry(topicFilter, match, identifier));
        }
    }

    /// <summary>The client subscribed to or unsubscribed from <paramref name="topicFilter"/>: MQTTnet knows its identifier now.</summary>
    public void Forget(string topicFilter)
    {
        lock (_entries)
        {
            _entries.RemoveAll(e => string.Equals(e.TopicFilter, topicFilter, StringComparison.Ordinal));
        }
    }

    /// <summary>Adds the identifiers of restored subscriptions matching the PUBLISH's topic (once each).</summary>
    public void AddTo(MqttPublishPacket publish)
    {
        lock (_entries)
        {
            List<uint>? identifiers = null;
            foreach (var entry in _entries)
            {
                if (!MqttTopicMatch.Matches(entry.MatchFilter, publish.Topic) || (publish.SubscriptionIdentifiers?.Contains(entry.Identifier) ?? false))
                {
                    continue;
                }

                // A fresh list: MQTTnet may share the one it computed.
                identifiers ??= publish.SubscriptionIdentifiers is null ? [] : [.. publish.SubscriptionIdentifiers];
                if (!identifiers.Contains(entry.Identifier))
                {
                    identifiers.Add(entry.Identifier);
                }
            }

            if (identifiers is not null)
            {
                publish.SubscriptionIdentifiers = identifiers;
            }
        }
    }

    private sealed record Entry(string TopicFilter, string MatchFilter, uint Identifier);
}
