using IoTix.Broker.DeadLetters;
using IoTix.Broker.History;
using IoTix.Broker.Security;
using IoTix.Web.Tenancy;

namespace IoTix.Web.History;

/// <summary>
/// A tenant's view of the broker's message history, replay jobs and dead letters (API and console): it sees and acts
/// on its own records only (another tenant's are "not found"), and a non-default tenant's replays and re-publishes stay
/// inside its namespace <c>tenants/{t}/</c>. The default tenant keeps the installation-wide view of its records.
/// </summary>
public sealed class TenantMessageData(IMessageHistory history, IDeadLetterQueue deadLetters)
{
    /// <summary>The topic namespace of <paramref name="tenantId"/>; null for the default tenant (no prefix).</summary>
    public static string? NamespaceOf(string tenantId) =>
        string.Equals(tenantId, Tenants.Default, StringComparison.Ordinal) ? null : TenantTopics.PrefixOf(tenantId);

    /// <summary>Why <paramref name="tenantId"/> may not publish to <paramref name="topic"/>, in words; null when it may.</summary>
    public static string? CheckTopic(string tenantId, string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        return NamespaceOf(tenantId) is { } prefix && !TenantTopics.IsInside(tenantId, topic)
            ? $"must start with {prefix} (your tenant's namespace; was '{topic}')"
            : null;
    }

    public HistoryStatus GetStatus() => history.GetStatus();

    public Task<HistoryPage?> QueryAsync(string tenantId, HistoryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return history.QueryAsync(query with { Tenant = tenantId }, cancellationToken);
    }

    /// <summary>Starts a replay of the tenant's history; a non-default tenant's replay publishes only inside its namespace.</summary>
    public ReplayStartResult StartReplay(string tenantId, ReplayRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var scope = TenantScope.Enter(tenantId); // the job's store reads run for the tenant
        return history.StartReplay(request with { Tenant = NamespaceOf(tenantId) is null ? null : tenantId });
    }

    /// <summary>The tenant's replay jobs, newest first.</summary>
    public IReadOnlyList<ReplayJobInfo> ListReplays(string tenantId)
    {
        var list = new List<ReplayJobInfo>();
        foreach (var job in history.ListReplays())
        {
            if (Owns(tenantId, job))
            {
                list.Add(job);
            }
        }

        return list;
    }

    /// <summary>A replay job of the tenant; null when unknown or another tenant's.</summary>
    public ReplayJobInfo? GetReplay(string tenantId, string id) =>
        history.GetReplay(id) is { } job && Owns(tenantId, job) ? job : null;

    /// <summary>Cancels a replay job of the tenant; null when unknown or another tenant's, false when it already finished.</summary>
    public bool? CancelReplay(string tenantId, string id) =>
        GetReplay(tenantId, id) is null ? null : history.CancelReplay(id);

    public DeadLetterStatus GetDeadLetterStatus() => deadLetters.GetStatus();

    public Task<DeadLetterPage?> ListDeadLettersAsync(string tenantId, DeadLetterQuery query, CancellationToken cancellationToken = default)
    {
        using var scope = TenantScope.Enter(tenantId);
        return deadLetters.ListAsync(query, cancellationToken);
    }

    public Task<DeadLetterLookup> GetDeadLetterAsync(string tenantId, long id, CancellationToken cancellationToken = default)
    {
        using var scope = TenantScope.Enter(tenantId);
        return deadLetters.GetAsync(id, cancellationToken);
    }

    /// <summary>True when it existed (and was the tenant's), false when not found, null when the store is unavailable.</summary>
    public Task<bool?> DeleteDeadLetterAsync(string tenantId, long id, CancellationToken cancellationToken = default)
    {
        using var scope = TenantScope.Enter(tenantId);
        return deadLetters.DeleteAsync(id, cancellationToken);
    }

    /// <summary>
    /// Publishes one of the tenant's dead letters again (to <paramref name="topic"/> or its own topic); a non-default
    /// tenant's target must be inside its namespace (<see cref="RepublishOutcome.OutsideNamespace"/> otherwise).
    /// </summary>
    public async Task<RepublishResult> RepublishDeadLetterAsync(string tenantId, long id, string? topic, bool keep, CancellationToken cancellationToken = default)
    {
        using var scope = TenantScope.Enter(tenantId);
        if (NamespaceOf(tenantId) is not null)
        {
            var lookup = await deadLetters.GetAsync(id, cancellationToken).ConfigureAwait(false);
            if (lookup is { Available: true, DeadLetter: { } deadLetter }
                && CheckTopic(tenantId, string.IsNullOrEmpty(topic) ? deadLetter.Message.Topic : topic) is { } problem)
            {
                return new RepublishResult(RepublishOutcome.OutsideNamespace, null, $"the target topic {problem}; give a topic inside it");
            }
        }

        return await deadLetters.RepublishAsync(id, topic, keep, cancellationToken).ConfigureAwait(false);
    }

    private static bool Owns(string tenantId, ReplayJobInfo job) =>
        string.Equals(job.Request.Tenant ?? Tenants.Default, tenantId, StringComparison.Ordinal);
}
