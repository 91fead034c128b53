using System.Security.Cryptography;
using IoTix.Broker.Rules;
using IoTix.Broker.Security;
using IoTix.Web.Tenancy;

namespace IoTix.Web.Rules;

/// <summary>
/// Editing rules for the caller's tenant (API and console): validates with the engine, stores, then tells the engine,
/// so a stored rule is always a valid one and the running set follows the database. A non-default tenant's rules are
/// confined to its namespace (<see cref="RuleDefinition.TopicNamespace"/> = <c>tenants/{t}/</c>): their filters and
/// republish topics must start with it. Rule ids are the tenant's own: in the engine a tenant's rule is keyed namespace +
/// id (<see cref="TenantKeys"/>), so two tenants may both have rule <c>r1</c> and neither learns of the other's.
/// </summary>
public sealed class RuleService(IRuleRepository repository, IRuleEngine engine, ITenantContext tenant)
{
    public const int MaxEventsPerPage = 1000;

    public IRuleEngine Engine => engine;

    /// <summary>The tenant's rules with their live counters; null when the database is unavailable.</summary>
    public async Task<IReadOnlyList<RuleView>?> ListAsync(CancellationToken cancellationToken = default)
    {
        var stored = await repository.ListAsync(tenant.TenantId, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return null;
        }

        var views = new List<RuleView>(stored.Count);
        foreach (var rule in stored)
        {
            views.Add(View(rule));
        }

        return views;
    }

    public async Task<RuleOutcome<RuleView>> GetAsync(string ruleId, CancellationToken cancellationToken = default)
    {
        var found = await repository.GetAsync(tenant.TenantId, ruleId, cancellationToken).ConfigureAwait(false);
        if (!found.Available)
        {
            return RuleOutcome<RuleView>.Fail(RuleOutcomeCode.Unavailable);
        }

        return found.Value is { } rule ? RuleOutcome<RuleView>.Ok(View(rule)) : RuleOutcome<RuleView>.Fail(RuleOutcomeCode.NotFound);
    }

    /// <summary>Creates a rule; an empty id gets a generated one (<c>rule-</c> and 8 hex digits).</summary>
    public async Task<RuleOutcome<RuleView>> CreateAsync(RuleDefinition rule, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (string.IsNullOrEmpty(rule.Id))
        {
            rule.Id = $"rule-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        }

        rule.TopicNamespace = NamespaceOf(tenant.TenantId);
        var errors = engine.Validate(rule);
        if (errors.Count > 0)
        {
            return RuleOutcome<RuleView>.Invalid(errors);
        }

        var existing = await repository.GetAsync(tenant.TenantId, rule.Id, cancellationToken).ConfigureAwait(false);
        if (!existing.Available)
        {
            return RuleOutcome<RuleView>.Fail(RuleOutcomeCode.Unavailable);
        }

        if (existing.Value is not null || engine.GetCounters(KeyOf(rule.Id)) is not null)
        {
            return RuleOutcome<RuleView>.Fail(RuleOutcomeCode.AlreadyExists);
        }

        return await StoreAndApplyAsync(rule, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Replaces a rule of the tenant (its counters are kept).</summary>
    public async Task<RuleOutcome<RuleView>> UpdateAsync(string ruleId, RuleDefinition rule, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rule);
        rule.Id = ruleId;
        rule.TopicNamespace = NamespaceOf(tenant.TenantId);
        var errors = engine.Validate(rule);
        if (errors.Count > 0)
        {
            return RuleOutcome<RuleView>.Invalid(errors);
        }

        var existing = await repository.GetAsync(tenant.TenantId, ruleId, cancellationToken).ConfigureAwait(false);
        if (!existing.Available)
        {
            return RuleOutcome<RuleView>.Fail(RuleOutcomeCode.Unavailable);
        }

        return existing.Value is null
            ? RuleOutcome<RuleView>.Fail(RuleOutcomeCode.NotFound)
            : await StoreAndApplyAsync(rule, cancellationToken).ConfigureAwait(false);
    }

    public async Task<RuleOutcome<RuleView>> SetEnabledAsync(string ruleId, bool enabled, CancellationToken cancellationToken = default)
    {
        var existing = await repository.GetAsync(tenant.TenantId, ruleId, cancellationToken).ConfigureAwait(false);
        if (!existing.Available)
        {
            return RuleOutcome<RuleView>.Fail(RuleOutcomeCode.Unavailable);
        }

        if (existing.Value is not { } stored)
        {
            return RuleOutcome<RuleView>.Fail(RuleOutcomeCode.NotFound);
        }

        stored.Definition.Enabled = enabled;
        stored.Definition.TopicNamespace = NamespaceOf(tenant.TenantId);
        var errors = engine.Validate(stored.Definition);
        if (errors.Count > 0)
        {
            return RuleOutcome<RuleView>.Invalid(errors); // a stored rule that is not valid (any more) is not switched
        }

        return await StoreAndApplyAsync(stored.Definition, cancellationToken).ConfigureAwait(false);
    }

    public async Task<RuleOutcomeCode> DeleteAsync(string ruleId, CancellationToken cancellationToken = default)
    {
        var existing = await repository.GetAsync(tenant.TenantId, ruleId, cancellationToken).ConfigureAwait(false);
        if (!existing.Available)
        {
            return RuleOutcomeCode.Unavailable;
        }

        if (existing.Value is null)
        {
            return RuleOutcomeCode.NotFound;
        }

        if (!await repository.DeleteAsync(tenant.TenantId, ruleId, cancellationToken).ConfigureAwait(false))
        {
            return RuleOutcomeCode.Unavailable;
        }

        engine.Remove(KeyOf(ruleId));
        return RuleOutcomeCode.Ok;
    }

    /// <summary>Events of the rule's database actions, newest first.</summary>
    public async Task<RuleOutcome<IReadOnlyList<StoredRuleEvent>>> ListEventsAsync(string ruleId, int limit, DateTimeOffset? before, CancellationToken cancellationToken = default)
    {
        var existing = await repository.GetAsync(tenant.TenantId, ruleId, cancellationToken).ConfigureAwait(false);
        if (!existing.Available)
        {
            return RuleOutcome<IReadOnlyList<StoredRuleEvent>>.Fail(RuleOutcomeCode.Unavailable);
        }

        if (existing.Value is null)
        {
            return RuleOutcome<IReadOnlyList<StoredRuleEvent>>.Fail(RuleOutcomeCode.NotFound);
        }

        var events = await repository.ListEventsAsync(tenant.TenantId, ruleId, Math.Clamp(limit, 1, MaxEventsPerPage), before, cancellationToken).ConfigureAwait(false);
        return events is null ? RuleOutcome<IReadOnlyList<StoredRuleEvent>>.Fail(RuleOutcomeCode.Unavailable) : RuleOutcome<IReadOnlyList<StoredRuleEvent>>.Ok(events);
    }

    /// <summary>Dry run of a definition against a sample message (nothing is sent or stored).</summary>
    public RuleTestResult Test(RuleDefinition rule, RuleTestMessage message)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (string.IsNullOrEmpty(rule.Id))
        {
            rule.Id = "test";
        }

        rule.TopicNamespace = NamespaceOf(tenant.TenantId);
        return engine.Test(rule, message);
    }

    /// <summary>The namespace a tenant's rules are confined to; null for the default tenant (unconfined).</summary>
    public static string? NamespaceOf(string tenantId) => TenantKeys.PrefixOf(tenantId) is { Length: > 0 } prefix ? prefix : null;

    private async Task<RuleOutcome<RuleView>> StoreAndApplyAsync(RuleDefinition rule, CancellationToken cancellationToken)
    {
        rule.TopicNamespace = NamespaceOf(tenant.TenantId); // also for a stored rule switched on or off
        if (!await repository.SaveAsync(tenant.TenantId, rule, cancellationToken).ConfigureAwait(false))
        {
            return RuleOutcome<RuleView>.Fail(RuleOutcomeCode.Unavailable);
        }

        if (!engine.TryApply(ToEngine(rule), out var errors))
        {
            // Validated above; only a concurrent change of the engine's rules could get here.
            return RuleOutcome<RuleView>.Invalid(errors);
        }

        var stored = await repository.GetAsync(tenant.TenantId, rule.Id, cancellationToken).ConfigureAwait(false);
        return stored.Value is { } saved ? RuleOutcome<RuleView>.Ok(View(saved)) : RuleOutcome<RuleView>.Fail(RuleOutcomeCode.Unavailable);
    }

    /// <summary>The live counters of the tenant's rule <paramref name="ruleId"/>; null when the engine does not run it.</summary>
    public RuleCountersSnapshot? CountersOf(string ruleId) => engine.GetCounters(KeyOf(ruleId));

    /// <summary>
    /// The engine's state as the tenant may see it: the shared queue counters, with the rule counts of its own rules
    /// only (the default tenant, the platform, sees every rule).
    /// </summary>
    public RuleEngineSnapshot Snapshot()
    {
        var snapshot = engine.GetSnapshot();
        if (NamespaceOf(tenant.TenantId) is not { } ns)
        {
            return snapshot;
        }

        int rules = 0, enabled = 0;
        foreach (var rule in engine.GetRules())
        {
            if (rule.Definition.Id.StartsWith(ns, StringComparison.Ordinal))
            {
                rules++;
                enabled += rule.Definition.Enabled ? 1 : 0;
            }
        }

        return snapshot with { Rules = rules, EnabledRules = enabled };
    }

    private string KeyOf(string ruleId) => TenantKeys.KeyOf(tenant.TenantId, ruleId);

    /// <summary>The engine's copy of a tenant's rule: keyed namespace + id, confined to the namespace.</summary>
    private RuleDefinition ToEngine(RuleDefinition rule) => new()
    {
        Id = KeyOf(rule.Id),
        Name = rule.Name,
        Description = rule.Description,
        Enabled = rule.Enabled,
        TopicFilters = rule.TopicFilters,
        Condition = rule.Condition,
        Actions = rule.Actions,
        TopicNamespace = NamespaceOf(tenant.TenantId),
    };

    private RuleView View(StoredRule rule) =>
        new(rule.Definition, CountersOf(rule.Definition.Id) ?? new RuleCountersSnapshot(0, 0, 0, 0, 0, null, null), rule.CreatedAt, rule.UpdatedAt);
}

/// <summary>A rule with its live counters.</summary>
public sealed record RuleView(RuleDefinition Definition, RuleCountersSnapshot Counters, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public enum RuleOutcomeCode
{
    Ok,
    Invalid,
    NotFound,
    AlreadyExists,
    Unavailable,
}

/// <summary>The result of a rule operation: a value, or why not (with the bad fields when invalid).</summary>
public sealed record RuleOutcome<T>(T? Value, RuleOutcomeCode Code, IReadOnlyList<RuleFieldError> Errors)
{
    public bool Succeeded => Code == RuleOutcomeCode.Ok;

    public static RuleOutcome<T> Ok(T value) => new(value, RuleOutcomeCode.Ok, []);

    public static RuleOutcome<T> Fail(RuleOutcomeCode code) => new(default, code, []);

    public static RuleOutcome<T> Invalid(IReadOnlyList<RuleFieldError> errors) => new(default, RuleOutcomeCode.Invalid, errors);
}
