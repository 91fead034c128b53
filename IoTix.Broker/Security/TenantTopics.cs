namespace IoTix.Broker.Security;

/// <summary>
/// Topic confinement of a tenant's MQTT users: they publish and subscribe only under <c>tenants/{tenant}/</c>. A
/// subscription filter must start with that prefix literally (so <c>#</c> or <c>tenants/+/...</c> are refused);
/// a shared subscription (<c>$share/{group}/{filter}</c>) is checked on its filter.
/// </summary>
public static class TenantTopics
{
    public const string Root = "tenants/";

    /// <summary>The topic prefix of <paramref name="tenant"/>: <c>tenants/{tenant}/</c>.</summary>
    public static string PrefixOf(string tenant) => Root + tenant + "/";

    /// <summary>
    /// True when <paramref name="clientIdOrTopic"/> lies in some tenant's namespace (<c>tenants/{t}/...</c> with a
    /// non-empty <c>t</c>): such client ids belong to that tenant's users only.
    /// </summary>
    public static bool IsInAnyTenant(string clientIdOrTopic)
    {
        ArgumentNullException.ThrowIfNull(clientIdOrTopic);
        return clientIdOrTopic.StartsWith(Root, StringComparison.Ordinal) && clientIdOrTopic.IndexOf('/', Root.Length) > Root.Length;
    }

    public static bool IsInside(string tenant, string topicOrFilter)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(topicOrFilter);
        var topic = topicOrFilter.AsSpan();
        if (topic.StartsWith("$share/", StringComparison.Ordinal))
        {
            var rest = topic["$share/".Length..];
            var slash = rest.IndexOf('/');
            if (slash < 0)
            {
                return false;
            }

            topic = rest[(slash + 1)..];
        }

        return topic.Length > Root.Length + tenant.Length + 1
            && topic.StartsWith(Root, StringComparison.Ordinal)
            && topic[Root.Length..].StartsWith(tenant, StringComparison.Ordinal)
            && topic[Root.Length + tenant.Length] == '/';
    }
}
