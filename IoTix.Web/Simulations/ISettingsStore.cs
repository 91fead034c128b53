namespace IoTix.Web.Simulations;

/// <summary>Key/value settings kept across restarts (console and API preferences).</summary>
public interface ISettingsStore
{
    /// <summary>Every setting; null when the database is unavailable.</summary>
    Task<IReadOnlyDictionary<string, string>?> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>The value of <paramref name="key"/>; null when unset or the database is unavailable.</summary>
    Task<string?> GetAsync(string key, CancellationToken cancellationToken = default);

    Task<bool> SetAsync(string key, string value, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default);
}
