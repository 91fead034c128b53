using System.Security.Claims;
using IoTix.Web.Accounts;
using IoTix.Web.Audit;
using IoTix.Web.MqttUsers;
using IoTix.Web.Tenancy;

namespace IoTix.Web.Components.Pages.Access;

/// <summary>
/// The MQTT users page's state: the signed-in user's tenant's MQTT users; create (a generated password shown once)
/// and revoke (its connections dropped). Console changes are audited as <c>console.mqttuser.*</c>.
/// </summary>
internal sealed class MqttUsersViewModel(MqttUserService users, IAuditLog audit, ClaimsPrincipal caller)
{
    private readonly string _tenant = TenantClaims.TenantOf(caller) ?? Tenants.Default;

    public IReadOnlyList<MqttUserRecord> Users { get; private set; } = [];

    /// <summary>What every client id and topic of this tenant's users starts with; null for the default tenant (not confined).</summary>
    public string? Prefix => MqttUserService.ClientIdPrefixOf(_tenant);

    /// <summary>Why the list could not be read, or null.</summary>
    public string? LoadError { get; private set; }

    public async Task LoadAsync()
    {
        var list = await users.ListAsync(_tenant);
        LoadError = list is null ? "The database is unavailable: the MQTT users cannot be read right now." : null;
        Users = list ?? [];
    }

    /// <summary>Creates a user with a generated password; the result carries it (to show once) or the error.</summary>
    public async Task<MqttUserResult> CreateAsync(string? name)
    {
        var result = await users.CreateAsync(_tenant, name, password: null, AccountClaims.Actor(caller));
        await audit.WriteAsync(new AuditEntry(_tenant, AccountClaims.Actor(caller), "console.mqttuser.create", result.User?.Username ?? name ?? "", result.Succeeded ? AuditOutcomes.Success : AuditOutcomes.Failed, Details: result.Succeeded ? null : result.Message));
        if (result.Succeeded)
        {
            await LoadAsync();
        }

        return result;
    }

    public async Task<MqttUserResult> RevokeAsync(MqttUserRecord user)
    {
        var result = await users.RevokeAsync(_tenant, user.Id);
        await audit.WriteAsync(new AuditEntry(_tenant, AccountClaims.Actor(caller), "console.mqttuser.revoke", user.Username, result.Succeeded ? AuditOutcomes.Success : AuditOutcomes.Failed, Details: result.Message));
        await LoadAsync();
        return result;
    }
}
