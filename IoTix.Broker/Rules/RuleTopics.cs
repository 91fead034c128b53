using System.Text;

namespace IoTix.Broker.Rules;

/// <summary>Checks of topic names and filters as rules use them, answering what is wrong in words (null when fine).</summary>
public static class RuleTopics
{
    /// <summary>A topic name may not be empty, hold wildcards or U+0000 [MQTT-4.7.3-1..3].</summary>
    public static string? CheckTopicName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            return "topic renders empty";
        }

        if (name.AsSpan().IndexOfAny('+', '#', '\0') >= 0)
        {
            return $"topic '{name}' holds a wildcard or U+0000 [MQTT-4.7.3-1]";
        }

        return Encoding.UTF8.GetByteCount(name) > 65535 ? "topic is longer than 65,535 bytes" : null;
    }

    /// <summary>Null when <paramref name="filter"/> is a valid MQTT topic filter [MQTT-4.7.1], else why not.</summary>
    public static string? CheckTopicFilter(string? filter)
    {
        if (string.IsNullOrEmpty(filter))
        {
            return "must not be empty";
        }

        if (filter.StartsWith("$share/", StringComparison.Ordinal))
        {
            return "shared subscriptions ($share/...) are not rule filters; use the filter itself";
        }

        if (filter.Contains('\0', StringComparison.Ordinal))
        {
            return "must not contain U+0000";
        }

        var levels = filter.Split('/');
        for (var i = 0; i < levels.Length; i++)
        {
            var level = levels[i];
            if (level.Contains('#', StringComparison.Ordinal) && (level != "#" || i != levels.Length - 1))
            {
                return $"'#' must be a whole level and the last one (level {i + 1} is '{level}') [MQTT-4.7.1-1]";
            }

            if (level.Contains('+', StringComparison.Ordinal) && level != "+")
            {
                return $"'+' must be a whole level (level {i + 1} is '{level}') [MQTT-4.7.1-2]";
            }
        }

        return Encoding.UTF8.GetByteCount(filter) > 65535 ? "must be at most 65,535 bytes" : null;
    }

    /// <summary>
    /// True when <paramref name="topicOrFilter"/> starts with <paramref name="topicNamespace"/> (a tenant's
    /// <c>tenants/{tenant}/</c>) literally and goes on below it: <c>tenants/acme/#</c> is inside <c>tenants/acme/</c>,
    /// <c>#</c>, <c>tenants/+/x</c> and <c>tenants/acme</c> are not.
    /// </summary>
    public static bool IsInsideNamespace(string topicNamespace, string topicOrFilter)
    {
        ArgumentNullException.ThrowIfNull(topicNamespace);
        ArgumentNullException.ThrowIfNull(topicOrFilter);
        return topicOrFilter.Length > topicNamespace.Length && topicOrFilter.StartsWith(topicNamespace, StringComparison.Ordinal);
    }
}
