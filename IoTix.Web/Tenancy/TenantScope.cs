namespace IoTix.Web.Tenancy;

/// <summary>
/// The ambient tenant of the current flow of work (an API request, a console circuit's activity, a background job),
/// carried in an <see cref="AsyncLocal{T}"/> so singletons (the orchestrator, the stores, the database factory) act
/// for the caller without taking a tenant parameter. Set by the host from the authenticated principal; a flow with no
/// tenant acts for <see cref="Tenants.Default"/>; <see cref="EnterSystem"/> lifts tenant filtering for host work that
/// spans every tenant (restore at start, retention purges).
/// </summary>
public static class TenantScope
{
    private static readonly AsyncLocal<Frame?> Ambient = new();

    /// <summary>The tenant of the current flow; <see cref="Tenants.Default"/> when none was entered (system flows too).</summary>
    public static string Current => Ambient.Value?.TenantId ?? Tenants.Default;

    /// <summary>True inside <see cref="EnterSystem"/>: database queries see every tenant's rows.</summary>
    public static bool IsSystem => Ambient.Value?.System ?? false;

    /// <summary>Acts for <paramref name="tenantId"/> until the returned scope is disposed.</summary>
    public static Scope Enter(string tenantId)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        var previous = Ambient.Value;
        Ambient.Value = new Frame(tenantId, false);
        return new Scope(previous);
    }

    /// <summary>Acts for the host across tenants (no query filter) until the returned scope is disposed.</summary>
    public static Scope EnterSystem()
    {
        var previous = Ambient.Value;
        Ambient.Value = new Frame(null, true);
        return new Scope(previous);
    }

    /// <summary>Restores the previous ambient tenant when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly Frame? _previous;

        internal Scope(Frame? previous) => _previous = previous;

        public void Dispose() => Ambient.Value = _previous;
    }

    internal sealed record Frame(string? TenantId, bool System);
}
