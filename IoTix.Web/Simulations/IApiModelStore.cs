namespace IoTix.Web.Simulations;

/// <summary>Device models created through the API, kept across restarts (the catalog holds them while the host runs).</summary>
public interface IApiModelStore
{
    /// <summary>Every stored model; null when the database is unavailable.</summary>
    Task<IReadOnlyList<StoredModel>?> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Adds or replaces a model's JSON; false when it could not be stored.</summary>
    Task<bool> SaveAsync(string id, string json, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default);
}

/// <summary>A stored API model: its id and JSON.</summary>
/// <param name="TenantId">The owning tenant (rows are read across tenants only at start-up).</param>
public sealed record StoredModel(string Id, string Json, DateTimeOffset UpdatedAt, string TenantId = Tenancy.Tenants.Default);
