namespace IoTix.Web.Tenancy;

/// <summary>
/// A stored record that belongs to one tenant. Every entity of a tenant's data (models, groups, devices, runs,
/// rules, shadows, history, settings ...) implements it, so isolation (query filters, API checks) applies by
/// convention rather than per store.
/// </summary>
public interface ITenantScoped
{
    /// <summary>The owning tenant's id (<see cref="Tenants.Default"/> for a single-tenant installation).</summary>
    string TenantId { get; set; }
}
