using IoTix.Core.Strategies;

namespace IoTix.Web.Simulations;

/// <summary>Device groups' specifications and desired state, kept across restarts.</summary>
public interface IGroupStore
{
    /// <summary>Every stored group; null when the database is unavailable.</summary>
    Task<IReadOnlyList<StoredGroup>?> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Adds or replaces a group; false when it could not be stored.</summary>
    Task<bool> SaveAsync(StoredGroup group, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string groupId, CancellationToken cancellationToken = default);
}

/// <summary>A group as stored: its specification, the launch configuration last used and whether it should run.</summary>
public sealed record StoredGroup(
    string GroupId,
    string ModelId,
    int Count,
    string IdPattern,
    LaunchStrategy? Launch,
    bool Running,
    DateTimeOffset CreatedAt,
    string TenantId = Tenancy.Tenants.Default);
