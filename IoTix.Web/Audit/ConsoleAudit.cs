using IoTix.Web.Accounts;
using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.Components.Authorization;

namespace IoTix.Web.Audit;

/// <summary>
/// The audit log of changes made from console pages (model save, group create/launch/stop/dropout/restart/delete,
/// settings save, the broker pages' actions, tenants): one entry per action, by the circuit's signed-in user in the user's tenant, with the action named
/// <c>console.{what}</c>. Console pages call the orchestrator and stores directly, not the REST API, so the
/// <c>/api/v1</c> audit filter never sees these changes and nothing is counted twice.
/// </summary>
/// <param name="connection">The circuit's connection, for "from where" (the circuit's remote IP).</param>
public sealed class ConsoleAudit(IAuditLog audit, AuthenticationStateProvider authentication, ITenantContext tenant, ConsoleConnection? connection = null)
{
    /// <summary>The prefix of every console action (filter the log with <c>action=console.</c>).</summary>
    public const string Source = "console";

    /// <summary>
    /// The server-side check of a console action, before it runs: null when the circuit's user holds
    /// <paramref name="permission"/>; else the refusal in words, recorded as <c>denied</c>. Pages also disable the
    /// controls, but a disabled control is only a hint: a crafted circuit event still reaches the handler.
    /// </summary>
    public async Task<string?> RefusalAsync(string permission, string what, string target, CancellationToken cancellationToken = default)
    {
        var user = (await authentication.GetAuthenticationStateAsync().ConfigureAwait(false)).User;
        if (PermissionMatrix.Allows(user, permission))
        {
            return null;
        }

        await audit.WriteAsync(
            new AuditEntry(TenantClaims.TenantOf(user) ?? tenant.TenantId, AccountClaims.Actor(user), $"{Source}.{what}", target, AuditOutcomes.Denied, StatusCodes.Status403Forbidden, connection?.RemoteIp, $"requires {permission}"),
            cancellationToken).ConfigureAwait(false);
        return $"Not allowed: your role does not hold {permission}.";
    }

    /// <summary>Appends one entry; like <see cref="IAuditLog.WriteAsync"/> it never throws for a failed write.</summary>
    /// <param name="what">The change, e.g. <c>group.launch</c>.</param>
    /// <param name="target">What it changed, e.g. the group id.</param>
    /// <param name="error">Why it failed, or null when it succeeded.</param>
    public Task RecordAsync(string what, string target, string? error = null, CancellationToken cancellationToken = default) =>
        RecordAsync(what, target, error, details: null, cancellationToken);

    /// <summary>Like <see cref="RecordAsync(string, string, string?, CancellationToken)"/>, with details of a success (e.g. <c>before -> after</c>).</summary>
    /// <param name="details">Recorded when the change succeeded; a failure records <paramref name="error"/> instead.</param>
    public async Task RecordAsync(string what, string target, string? error, string? details, CancellationToken cancellationToken = default)
    {
        var user = (await authentication.GetAuthenticationStateAsync().ConfigureAwait(false)).User;
        await audit.WriteAsync(
            new AuditEntry(
                TenantClaims.TenantOf(user) ?? tenant.TenantId,
                AccountClaims.Actor(user),
                $"{Source}.{what}",
                target,
                error is null ? AuditOutcomes.Success : AuditOutcomes.Failed,
                RemoteIp: connection?.RemoteIp,
                Details: error ?? details),
            cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// One-line audit calls for console view models whose <see cref="ConsoleAudit"/> is optional (the pages' DI gives the
/// circuit's; unit tests may build a view model without one).
/// </summary>
public static class ConsoleAuditExtensions
{
    // Relaxed escaping keeps "payload.value > 30" readable; the audit page and exports escape for their own formats.
    private static readonly System.Text.Json.JsonSerializerOptions Compact = new(System.Text.Json.JsonSerializerDefaults.Web) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><see cref="ConsoleAudit.RefusalAsync"/> when there is an audit (the console always passes its circuit's); null (allowed) for a view model built without one.</summary>
    public static Task<string?> PermissionRefusalAsync(this ConsoleAudit? audit, string permission, string what, string target, CancellationToken cancellationToken = default) =>
        audit is null ? Task.FromResult<string?>(null) : audit.RefusalAsync(permission, what, target, cancellationToken);

    /// <summary><see cref="ConsoleAudit.RecordAsync(string, string, string?, string?, CancellationToken)"/> when there is an audit; nothing otherwise.</summary>
    public static Task AuditAsync(this ConsoleAudit? audit, string what, string target, string? error = null, string? details = null, CancellationToken cancellationToken = default) =>
        audit is null ? Task.CompletedTask : audit.RecordAsync(what, target, error, details, cancellationToken);

    /// <summary>
    /// For synchronous actions: starts the entry without waiting. Never throws: the audit log catches and logs a failed
    /// write (warning 7101), which is this call's fault path.
    /// </summary>
    public static void Audit(this ConsoleAudit? audit, string what, string target, string? error = null, string? details = null) =>
        _ = audit.AuditAsync(what, target, error, details);

    /// <summary><c>{"before": ..., "after": ...}</c> as compact JSON, for the details of an update.</summary>
    public static string BeforeAfter<T>(T before, T after) =>
        System.Text.Json.JsonSerializer.Serialize(new { before, after }, Compact);
}
