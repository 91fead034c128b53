using IoTix.Broker.Admin;
using IoTix.Broker.Security;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>The loaded ACL (read-only) and the "test access" form.</summary>
public sealed class BrokerAclViewModel(IBrokerAdmin admin)
{
    public BrokerAclInfo Acl { get; private set; } = admin.GetAcl();

    public string? UserName { get; set; }

    public string ClientId { get; set; } = "";

    public string Topic { get; set; } = "";

    public AclAccess Action { get; set; } = AclAccess.Publish;

    /// <summary>Form errors in words, by field (UserName, ClientId, Topic); empty when the form is valid.</summary>
    public IReadOnlyDictionary<string, string> Errors { get; private set; } = new Dictionary<string, string>();

    /// <summary>The answer of the last test; null before one ran or when the form had errors.</summary>
    public AclTestResult? Result { get; private set; }

    public void Reload() => Acl = admin.GetAcl();

    public static string ActionName(AclAccess access) => access switch
    {
        AclAccess.Publish => "publish",
        AclAccess.Subscribe => "subscribe",
        _ => "publish + subscribe",
    };

    /// <summary>Validates the form and asks the broker; returns false (and fills <see cref="Errors"/>) when the form is invalid.</summary>
    public bool Test()
    {
        var errors = new Dictionary<string, string>();
        if (string.IsNullOrWhiteSpace(ClientId))
        {
            errors[nameof(ClientId)] = "Enter the client id to test (rules may match it with %c or a client id pattern).";
        }

        if (string.IsNullOrEmpty(Topic))
        {
            errors[nameof(Topic)] = "Enter a topic.";
        }
        else if (Action == AclAccess.Publish && Topic.AsSpan().IndexOfAny('+', '#') >= 0)
        {
            errors[nameof(Topic)] = "A topic to publish to cannot contain + or # (those are for subscriptions).";
        }
        else if (Action == AclAccess.Subscribe && !TopicFilterRules.IsValid(Topic, out var problem))
        {
            errors[nameof(Topic)] = problem;
        }

        Errors = errors;
        if (errors.Count > 0)
        {
            Result = null;
            return false;
        }

        Result = admin.TestAccess(string.IsNullOrWhiteSpace(UserName) ? null : UserName.Trim(), ClientId.Trim(), Topic, Action);
        return true;
    }

    /// <summary>One rule in words, e.g. "deny publish devices/alice/secret for user alice".</summary>
    public static string Describe(AclRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var text = $"{(rule.Allow ? "allow" : "deny")} {ActionName(rule.Access)} {rule.Topic}";
        if (rule.Username is not null)
        {
            text += $" for user {rule.Username}";
        }

        if (rule.ClientIdPattern is not null)
        {
            text += $" for client id {rule.ClientIdPattern}";
        }

        return text;
    }
}
