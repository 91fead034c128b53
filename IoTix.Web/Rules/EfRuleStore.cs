using System.Text.Json;
using System.Text.Json.Serialization;
using IoTix.Broker.Rules;
using IoTix.Web.Simulations;
using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace IoTix.Web.Rules;

/// <summary>Rules in table rules: edited per tenant (<see cref="IRuleRepository"/>), loaded all at once by the broker (<see cref="IRuleStore"/>).</summary>
internal sealed class EfRuleStore(StoreAccess access, TimeProvider time) : IRuleRepository, IRuleStore
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>
    /// Every tenant's rules, each keyed and confined to its tenant's namespace (<see cref="TenantKeys"/>,
    /// <see cref="RuleService.NamespaceOf"/>).
    /// </summary>
    public Task<IReadOnlyList<RuleDefinition>?> LoadAllAsync(CancellationToken cancellationToken = default) =>
        access.RunAsync<IReadOnlyList<RuleDefinition>?>("load rules", static async (context, ct) =>
        {
            context.TenantId = null; // host work across tenants
            var records = await context.Set<RuleRecord>().AsNoTracking().ToListAsync(ct).ConfigureAwait(false);
            return records.ConvertAll(static r =>
            {
                var rule = ToDefinition(r);
                rule.Id = TenantKeys.KeyOf(r.TenantId, r.Id);
                rule.TopicNamespace = RuleService.NamespaceOf(r.TenantId);
                return rule;
            });
        }, cancellationToken);

    public Task<IReadOnlyList<StoredRule>?> ListAsync(string tenantId, CancellationToken cancellationToken = default) =>
        access.RunAsync<IReadOnlyList<StoredRule>?>("list rules", async (context, ct) =>
        {
            var records = await context.Set<RuleRecord>().AsNoTracking().Where(r => r.TenantId == tenantId).OrderBy(r => r.Id).ToListAsync(ct).ConfigureAwait(false);
            return records.ConvertAll(static r => ToStored(r));
        }, cancellationToken);

    public async Task<StoreLookup<StoredRule>> GetAsync(string tenantId, string ruleId, CancellationToken cancellationToken = default)
    {
        var found = await access.RunAsync("get rule", async (context, ct) =>
        {
            var record = await context.Set<RuleRecord>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == ruleId && r.TenantId == tenantId, ct).ConfigureAwait(false);
            return new StoreLookup<StoredRule>(record is null ? null : ToStored(record), true);
        }, cancellationToken).ConfigureAwait(false);
        return found.Available ? found : StoreLookup<StoredRule>.Unavailable;
    }

    public Task<bool> SaveAsync(string tenantId, RuleDefinition rule, CancellationToken cancellationToken = default) =>
        access.RunAsync($"save rule '{rule.Id}'", async (context, ct) =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            var record = await context.Set<RuleRecord>().FirstOrDefaultAsync(r => r.TenantId == tenantId && r.Id == rule.Id, ct).ConfigureAwait(false);
            if (record is null)
            {
                context.Add(record = new RuleRecord { Id = rule.Id, TenantId = tenantId, CreatedAt = now });
            }

            record.Name = rule.Name;
            record.Description = rule.Description;
            record.Enabled = rule.Enabled;
            record.TopicFilters = JsonSerializer.Serialize(rule.TopicFilters, Json);
            record.Condition = string.IsNullOrWhiteSpace(rule.Condition) ? null : rule.Condition;
            record.Actions = JsonSerializer.Serialize(rule.Actions, Json);
            record.UpdatedAt = now;
            await context.SaveChangesAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task<bool> DeleteAsync(string tenantId, string ruleId, CancellationToken cancellationToken = default) =>
        access.RunAsync($"delete rule '{ruleId}'", async (context, ct) =>
        {
            await context.Set<RuleEventRecord>().Where(e => e.RuleId == ruleId && e.TenantId == tenantId).ExecuteDeleteAsync(ct).ConfigureAwait(false);
            await context.Set<RuleRecord>().Where(r => r.Id == ruleId && r.TenantId == tenantId).ExecuteDeleteAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task<IReadOnlyList<StoredRuleEvent>?> ListEventsAsync(string tenantId, string ruleId, int limit, DateTimeOffset? before, CancellationToken cancellationToken = default) =>
        access.RunAsync<IReadOnlyList<StoredRuleEvent>?>("list rule events", async (context, ct) =>
        {
            var query = context.Set<RuleEventRecord>().AsNoTracking().Where(e => e.RuleId == ruleId && e.TenantId == tenantId);
            if (before is { } limitTime)
            {
                var until = limitTime.UtcDateTime;
                query = query.Where(e => e.Timestamp < until);
            }

            var records = await query.OrderByDescending(e => e.Timestamp).ThenByDescending(e => e.Id).Take(limit).ToListAsync(ct).ConfigureAwait(false);
            return records.ConvertAll(static e => new StoredRuleEvent(e.Id, e.RuleId, e.Topic, e.ClientId, e.QualityOfService, new DateTimeOffset(e.Timestamp, TimeSpan.Zero), e.Payload));
        }, cancellationToken);

    private static StoredRule ToStored(RuleRecord record) =>
        new(ToDefinition(record), new DateTimeOffset(record.CreatedAt, TimeSpan.Zero), new DateTimeOffset(record.UpdatedAt, TimeSpan.Zero));

    private static RuleDefinition ToDefinition(RuleRecord record) => new()
    {
        Id = record.Id,
        Name = record.Name,
        Description = record.Description,
        Enabled = record.Enabled,
        TopicFilters = JsonSerializer.Deserialize<List<string>>(record.TopicFilters, Json) ?? [],
        Condition = record.Condition,
        Actions = JsonSerializer.Deserialize<List<RuleActionDefinition>>(record.Actions, Json) ?? [],
    };
}

/// <summary>
/// Events of database actions into table rule_events, each with its rule's tenant (the namespace of the engine's rule
/// key) and the tenant's own rule id; events older than
/// <c>Broker:Rules:EventRetentionHours</c> are purged along the way (at most once a minute).
/// </summary>
internal sealed class EfRuleEventSink(StoreAccess access, TimeProvider time, Microsoft.Extensions.Options.IOptions<RuleEngineOptions> options) : IRuleEventSink
{
    private static readonly TimeSpan PurgeInterval = TimeSpan.FromMinutes(1);
    private DateTimeOffset _nextPurge;

    public async Task<bool> WriteAsync(IReadOnlyList<RuleEvent> events, CancellationToken cancellationToken = default)
    {
        return await access.RunAsync("write rule events", async (context, ct) =>
        {
            context.TenantId = null; // host work: each event names its rule's tenant
            foreach (var ruleEvent in events)
            {
                var tenantId = TenantKeys.NamespaceOf(ruleEvent.RuleId);
                context.Add(new RuleEventRecord
                {
                    TenantId = tenantId,
                    RuleId = TenantKeys.BareId(tenantId, ruleEvent.RuleId),
                    Topic = ruleEvent.Topic,
                    ClientId = ruleEvent.ClientId,
                    QualityOfService = ruleEvent.QualityOfService,
                    Timestamp = ruleEvent.Timestamp.UtcDateTime,
                    Payload = ruleEvent.Payload,
                });
            }

            await context.SaveChangesAsync(ct).ConfigureAwait(false);
            var now = time.GetUtcNow();
            if (now >= _nextPurge)
            {
                _nextPurge = now + PurgeInterval;
                var cutoff = now.AddHours(-options.Value.EventRetentionHours).UtcDateTime;
                await context.Set<RuleEventRecord>().Where(e => e.Timestamp < cutoff).ExecuteDeleteAsync(ct).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
    }
}
