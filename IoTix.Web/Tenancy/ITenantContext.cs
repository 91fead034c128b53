namespace IoTix.Web.Tenancy;

/// <summary>
/// The tenant the current caller acts for (a request, a console circuit, a background job on a tenant's behalf).
/// Stores and endpoints ask it instead of reading claims themselves.
/// </summary>
public interface ITenantContext
{
    /// <summary>The current tenant's id.</summary>
    string TenantId { get; }
}

/// <summary>The single-tenant context: every caller acts for <see cref="Tenants.Default"/>.</summary>
internal sealed class DefaultTenantContext : ITenantContext
{
    public string TenantId => Tenants.Default;
}
