using System.Text.Json;

namespace IoTix.Broker.Security;

[Flags]
public enum AclAccess
{
    None = 0,
    Publish = 1,
    Subscribe = 2,
    All = Publish | Subscribe,
}

/// <summary>One ACL line: allow or deny publish/subscribe on a topic filter, for a user and/or client id pattern.</summary>
public sealed record AclRule(bool Allow, AclAccess Access, string Topic, string? Username = null, string? ClientIdPattern = null)
{
    internal bool HasSubstitution { get; } = Topic.Contains('%', StringComparison.Ordinal);
}

/// <summary>
/// An immutable set of topic ACL rules (mosquitto semantics): a matching deny wins, else a matching
/// allow grants, else <see cref="DefaultAllow"/> decides. Topics may use %u (user name) and %c (client id).
/// </summary>
public sealed class AclPolicy
{
    private readonly AclRule[] _rules;

    public AclPolicy(IReadOnlyList<AclRule> rules, bool defaultAllow)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = [.. rules];
        DefaultAllow = defaultAllow;
    }

    /// <summary>No ACL file configured: everything allowed.</summary>
    public static AclPolicy AllowAll { get; } = new([], defaultAllow: true);

    public bool DefaultAllow { get; }

    public IReadOnlyList<AclRule> Rules => _rules;

    public bool IsAllowed(AclAccess access, string topic, string? username, string clientId) =>
        Decide(access, topic, username, clientId, out _);

    /// <summary>
    /// Like <see cref="IsAllowed"/>, and names the rule that decided: the first matching deny, else the last matching
    /// allow; null when the default decided (console "test access").
    /// </summary>
    public bool IsAllowed(AclAccess access, string topic, string? username, string clientId, out AclRule? decidingRule) =>
        Decide(access, topic, username, clientId, out decidingRule);

    private bool Decide(AclAccess access, string topic, string? username, string clientId, out AclRule? decidingRule)
    {
        decidingRule = null;
        var allowed = false;
        foreach (var rule in _rules)
        {
            if ((rule.Access & access) == 0 || !AppliesTo(rule, username, clientId))
            {
                continue;
            }

            var filter = rule.HasSubstitution ? Substitute(rule.Topic, username, clientId) : rule.Topic;
            if (filter is null)
            {
                continue;
            }

            // A subscription is granted when an allow rule covers all of it, and refused when a deny rule does;
            // partial overlaps with a deny rule are not filtered at delivery (see docs/broker.md).
            var matches = access == AclAccess.Subscribe
                ? MqttTopicMatch.Covers(filter, topic)
                : MqttTopicMatch.Matches(filter, topic);
            if (!matches)
            {
                continue;
            }

            decidingRule = rule;
            if (!rule.Allow)
            {
                return false;
            }

            allowed = true;
        }

        return allowed || DefaultAllow;
    }

    private static bool AppliesTo(AclRule rule, string? username, string clientId) =>
        (rule.Username is null || string.Equals(rule.Username, username, StringComparison.Ordinal))
        && (rule.ClientIdPattern is null || GlobMatches(rule.ClientIdPattern, clientId));

    private static string? Substitute(string topic, string? username, string clientId)
    {
        if (topic.Contains("%u", StringComparison.Ordinal))
        {
            if (string.IsNullOrEmpty(username) || username.AsSpan().IndexOfAny('+', '#', '/') >= 0)
            {
                return null;
            }

            topic = topic.Replace("%u", username, StringComparison.Ordinal);
        }

        if (topic.Contains("%c", StringComparison.Ordinal))
        {
            if (clientId.AsSpan().IndexOfAny('+', '#', '/') >= 0)
            {
                return null;
            }

            topic = topic.Replace("%c", clientId, StringComparison.Ordinal);
        }

        return topic;
    }

    /// <summary>'*' matches any run of characters, everything else literally.</summary>
    internal static bool GlobMatches(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        var star = pattern.IndexOf('*');
        if (star < 0)
        {
            return pattern.SequenceEqual(text);
        }

        if (!text.StartsWith(pattern[..star]))
        {
            return false;
        }

        var rest = pattern[(star + 1)..];
        for (var i = star; i <= text.Length; i++)
        {
            if (GlobMatches(rest, text[i..]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Parses a JSON ACL document or a mosquitto-like text file (see docs/broker.md).</summary>
    public static bool TryParse(string content, out AclPolicy policy, out string error)
    {
        ArgumentNullException.ThrowIfNull(content);
        var trimmed = content.TrimStart();
        return trimmed.StartsWith('{') ? TryParseJson(content, out policy, out error) : TryParseText(content, out policy, out error);
    }

    private static bool TryParseJson(string content, out AclPolicy policy, out string error)
    {
        policy = AllowAll;
        try
        {
            using var document = JsonDocument.Parse(content, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var root = document.RootElement;
            var defaultAllow = false;
            if (root.TryGetProperty("default", out var defaultElement))
            {
                switch (defaultElement.GetString())
                {
                    case "allow": defaultAllow = true; break;
                    case "deny": break;
                    default: error = "\"default\" must be \"allow\" or \"deny\""; return false;
                }
            }

            var rules = new List<AclRule>();
            if (root.TryGetProperty("rules", out var rulesElement))
            {
                var index = 0;
                foreach (var item in rulesElement.EnumerateArray())
                {
                    var permission = item.TryGetProperty("permission", out var p) ? p.GetString() : null;
                    var action = item.TryGetProperty("action", out var a) ? a.GetString() : "all";
                    var topic = item.TryGetProperty("topic", out var t) ? t.GetString() : null;
                    var user = item.TryGetProperty("user", out var u) ? u.GetString() : null;
                    var client = item.TryGetProperty("clientId", out var c) ? c.GetString() : null;
                    if (permission is not ("allow" or "deny"))
                    {
                        error = $"rules[{index}].permission must be \"allow\" or \"deny\"";
                        return false;
                    }

                    AclAccess access = action switch
                    {
                        "publish" => AclAccess.Publish,
                        "subscribe" => AclAccess.Subscribe,
                        "all" or null => AclAccess.All,
                        _ => AclAccess.None,
                    };
                    if (access == AclAccess.None)
                    {
                        error = $"rules[{index}].action must be \"publish\", \"subscribe\" or \"all\"";
                        return false;
                    }

                    if (string.IsNullOrEmpty(topic))
                    {
                        error = $"rules[{index}].topic is required (a topic filter, %u and %c allowed)";
                        return false;
                    }

                    rules.Add(new AclRule(permission == "allow", access, topic, user is "*" ? null : user, client is "*" ? null : client));
                    index++;
                }
            }

            policy = new AclPolicy(rules, defaultAllow);
            error = "";
            return true;
        }
        catch (JsonException exception)
        {
            error = $"invalid JSON: {exception.Message}";
            return false;
        }
        catch (InvalidOperationException exception)
        {
            error = $"unexpected JSON shape: {exception.Message}";
            return false;
        }
    }

    private static bool TryParseText(string content, out AclPolicy policy, out string error)
    {
        policy = AllowAll;
        var rules = new List<AclRule>();
        string? currentUser = null;
        var lineNumber = 0;
        foreach (var rawLine in content.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var parts = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            switch (parts[0])
            {
                case "user" when parts.Length >= 2:
                    currentUser = line[4..].Trim();
                    break;
                case "topic" or "pattern":
                    if (!TryParseAccess(parts, out var allow, out var access, out var topic))
                    {
                        error = $"line {lineNumber}: expected '{parts[0]} [read|write|readwrite|deny] TOPIC'";
                        return false;
                    }

                    // A 'topic' line applies to the user above it (or everyone before the first 'user');
                    // a 'pattern' line applies to every client.
                    rules.Add(new AclRule(allow, access, topic, parts[0] == "topic" ? currentUser : null));
                    break;
                default:
                    error = $"line {lineNumber}: unknown directive '{parts[0]}' (user, topic, pattern)";
                    return false;
            }
        }

        policy = new AclPolicy(rules, defaultAllow: false);
        error = "";
        return true;
    }

    private static bool TryParseAccess(string[] parts, out bool allow, out AclAccess access, out string topic)
    {
        allow = true;
        access = AclAccess.All;
        topic = "";
        if (parts.Length == 2)
        {
            topic = parts[1];
            return true;
        }

        if (parts.Length != 3)
        {
            return false;
        }

        topic = parts[2];
        switch (parts[1])
        {
            case "read": access = AclAccess.Subscribe; return true;
            case "write": access = AclAccess.Publish; return true;
            case "readwrite": return true;
            case "deny": allow = false; return true;
            default:
                topic = parts[1] + " " + parts[2];
                return !topic.Contains(' ', StringComparison.Ordinal);
        }
    }
}
