using IoTix.Broker.Security;
using Microsoft.AspNetCore.Components;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>The ACL as loaded (read-only) and a form that asks it whether an action is allowed.</summary>
public sealed partial class BrokerAcl
{
    [Inject]
    private BrokerAclViewModel Model { get; set; } = default!;

    private int IndexOf(AclRule rule)
    {
        var rules = Model.Acl.Rules;
        for (var i = 0; i < rules.Count; i++)
        {
            if (ReferenceEquals(rules[i], rule))
            {
                return i;
            }
        }

        return -1;
    }
}
