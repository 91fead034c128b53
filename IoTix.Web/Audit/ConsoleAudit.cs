using IoTix.Web.Accounts;
using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.Components.Authorization;

namespace IoTix.Web.Audit;

/// <summary>
/// The audit log of changes made from console pages (model save, group create/launch/stop/dropout/restart/delete,
/// settings save): one entry per action, by the circuit's signed-in user in the user's tenant, with the action named
/// <c>console.{what}</c>. Console pages call the orchestrator and stores directly, not the REST API, so the
/// <c>/api/v1</c> audit filter never sees these changes and nothing is counted twice.
/// </summary>
public sealed class ConsoleAudit(IAuditLog audit, AuthenticationStateProvider authentication, ITenantContext tenant)
{
    /// <summary>The prefix of every console action (filter the log with <c>action=console.</c>).</summary>
    public const string Source = "console";

    /// <summary>Appends one entry; like <see cref="IAuditLog.WriteAsync"/> it never throws for a failed write.</summary>
    /// <param name="what">The change, e.g. <c>group.launch</c>.</param>
    /// <param name="target">What it changed, e.g. the group id.</param>
    /// <param name="error">Why it failed, or null when it succeeded.</param>
    public async Task RecordAsync(string what, string target, string? error = null, CancellationToken cancellationToken = default)
    {
        var user = (await authentication.GetAuthenticationStateAsync().ConfigureAwait(false)).User;
        await audit.WriteAsync(
            new AuditEntry(
                TenantClaims.TenantOf(user) ?? tenant.TenantId,
                AccountClaims.Actor(user),
                $"{Source}.{what}",
                target,
                error is null ? AuditOutcomes.Success : AuditOutcomes.Failed,
                Details: error),
            cancellationToken).ConfigureAwait(false);
    }
}
