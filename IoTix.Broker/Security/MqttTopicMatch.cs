namespace IoTix.Broker.Security;

/// <summary>MQTT topic name / topic filter matching with '+' and '#' [MQTT-4.7.1].</summary>
public static class MqttTopicMatch
{
    /// <summary>True when <paramref name="topic"/> (a topic name) matches <paramref name="filter"/>.</summary>
    public static bool Matches(ReadOnlySpan<char> filter, ReadOnlySpan<char> topic)
    {
        // Topics starting with '$' are not matched by filters starting with a wildcard [MQTT-4.7.2-1].
        if (topic.Length > 0 && topic[0] == '$' && filter.Length > 0 && (filter[0] == '+' || filter[0] == '#'))
        {
            return false;
        }

        while (true)
        {
            var filterLevel = NextLevel(ref filter, out var filterHasMore);
            if (filterLevel is "#")
            {
                return true;
            }

            var topicLevel = NextLevel(ref topic, out var topicHasMore);
            if (!(filterLevel is "+" || filterLevel.SequenceEqual(topicLevel)))
            {
                return false;
            }

            if (!filterHasMore || !topicHasMore)
            {
                // "a/#" also matches "a" [MQTT-4.7.1-2].
                return filterHasMore == topicHasMore || (filterHasMore && filter is "#");
            }
        }
    }

    /// <summary>
    /// True when every topic matched by <paramref name="subscription"/> is also matched by <paramref name="filter"/>,
    /// so a subscription may be granted by an ACL rule on <paramref name="filter"/>.
    /// </summary>
    public static bool Covers(ReadOnlySpan<char> filter, ReadOnlySpan<char> subscription)
    {
        while (true)
        {
            var filterLevel = NextLevel(ref filter, out var filterHasMore);
            if (filterLevel is "#")
            {
                return true;
            }

            var subscriptionLevel = NextLevel(ref subscription, out var subscriptionHasMore);
            if (subscriptionLevel is "#")
            {
                return false;
            }

            if (!(filterLevel is "+" || filterLevel.SequenceEqual(subscriptionLevel)))
            {
                return false;
            }

            if (!filterHasMore || !subscriptionHasMore)
            {
                return filterHasMore == subscriptionHasMore || (filterHasMore && filter is "#");
            }
        }
    }

    private static ReadOnlySpan<char> NextLevel(ref ReadOnlySpan<char> rest, out bool hasMore)
    {
        var slash = rest.IndexOf('/');
        if (slash < 0)
        {
            var level = rest;
            rest = [];
            hasMore = false;
            return level;
        }

        var head = rest[..slash];
        rest = rest[(slash + 1)..];
        hasMore = true;
        return head;
    }
}
