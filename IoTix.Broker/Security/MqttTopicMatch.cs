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

    /// <summary>MQTT topic filter rules in words [MQTT-4.7.1-1], [MQTT-4.7.1-2], [MQTT-4.7.3-1]; <paramref name="problem"/> says what is wrong.</summary>
    public static bool IsValidFilter(string filter, out string problem)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter.Length == 0)
        {
            problem = "Enter a topic filter, e.g. sensors/+/temperature or devices/#.";
            return false;
        }

        if (filter.Contains('\0', StringComparison.Ordinal))
        {
            problem = "A topic filter cannot contain the null character.";
            return false;
        }

        var levels = filter.Split('/');
        for (var i = 0; i < levels.Length; i++)
        {
            var level = levels[i];
            if (level.Contains('#', StringComparison.Ordinal) && (level != "#" || i != levels.Length - 1))
            {
                problem = "'#' must be a whole level and the last one, e.g. devices/#.";
                return false;
            }

            if (level.Contains('+', StringComparison.Ordinal) && level != "+")
            {
                problem = "'+' must be a whole level, e.g. sensors/+/temperature.";
                return false;
            }
        }

        problem = "";
        return true;
    }

    /// <summary>A topic name a message can be published to: not empty, no wildcards, no null character [MQTT-3.3.2-2].</summary>
    public static bool IsValidTopicName(string topic, out string problem)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (topic.Length == 0)
        {
            problem = "Enter a topic name, e.g. sensors/1/temperature.";
            return false;
        }

        if (topic.AsSpan().IndexOfAny('+', '#', '\0') >= 0)
        {
            problem = "A topic name cannot contain '+', '#' or the null character.";
            return false;
        }

        problem = "";
        return true;
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
