using IoTix.Broker.Rules;

namespace IoTix.Web.Rules;

/// <summary>The rules of a tenant in the IoTix database (editing); the broker loads all of them through <see cref="IRuleStore"/>.</summary>
public interface IRuleRepository
{
    /// <summary>The tenant's rules by id; null when the database is unavailable.</summary>
    Task<IReadOnlyList<StoredRule>?> ListAsync(string tenantId, CancellationToken cancellationToken = default);

    /// <summary>One rule of the tenant (not found: <see cref="StoreLookup{T}.Missing"/>; another tenant's rule is not found).</summary>
    Task<StoreLookup<StoredRule>> GetAsync(string tenantId, string ruleId, CancellationToken cancellationToken = default);

    /// <summary>Creates or replaces a rule of the tenant; false when the database is unavailable or the id is another tenant's.</summary>
    Task<bool> SaveAsync(string tenantId, RuleDefinition rule, CancellationToken cancellationToken = default);

    /// <summary>Deletes a rule of the tenant and its events; false when the database is unavailable.</summary>
    Task<bool> DeleteAsync(string tenantId, string ruleId, CancellationToken cancellationToken = default);

    /// <summary>Events written by the rule's database actions, newest first, older than <paramref name="before"/> when given; null when unavailable.</summary>
    Task<IReadOnlyList<StoredRuleEvent>?> ListEventsAsync(string tenantId, string ruleId, int limit, DateTimeOffset? before, CancellationToken cancellationToken = default);
}

public sealed record StoredRule(RuleDefinition Definition, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record StoredRuleEvent(long Id, string RuleId, string Topic, string? ClientId, int Qos, DateTimeOffset Timestamp, string Payload);

/// <summary>A lookup that tells "not there" from "could not look" (database unavailable).</summary>
public readonly record struct StoreLookup<T>(T? Value, bool Available)
    where T : class
{
    public static StoreLookup<T> Unavailable => new(null, false);

    public static StoreLookup<T> Missing => new(null, true);
}
