namespace IoTix.Broker.Shadows;

/// <summary>
/// Persistence of shadows, implemented by the host (IoTix.Web: EF Core). Expected failures are values: a store that
/// cannot be reached answers <see cref="ShadowLoadStatus.Unavailable"/> / false instead of throwing.
/// </summary>
public interface IShadowStore
{
    Task<(ShadowLoadStatus Status, StoredShadow? Shadow)> LoadAsync(string thingName, CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces a shadow; false when the store is unavailable.</summary>
    Task<bool> SaveAsync(StoredShadow shadow, CancellationToken cancellationToken = default);

    /// <summary>Deletes a shadow (no error when absent); false when the store is unavailable.</summary>
    Task<bool> DeleteAsync(string thingName, CancellationToken cancellationToken = default);
}

public enum ShadowLoadStatus
{
    Found,
    NotFound,
    Unavailable,
}

/// <summary>A stored shadow: <see cref="DocumentJson"/> is <c>{"state": {"desired", "reported"}, "metadata": {...}}</c>.</summary>
public sealed record StoredShadow(string ThingName, long Version, DateTimeOffset UpdatedAt, string DocumentJson);
