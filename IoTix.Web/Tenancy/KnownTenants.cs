using IoTix.Broker.DeadLetters;
using IoTix.Broker.History;
using IoTix.Broker.Security;
namespace IoTix.Web.Tenancy;

/// <summary>
/// The tenant broker-originated data belongs to (a captured message, a dead letter, a shadow or registry row keyed
/// <c>tenants/{t}/{id}</c>): the tenant of its topic's
/// namespace <c>tenants/{t}/</c> (<see cref="TenantTopics"/>), for a dead letter else of its client id's namespace,
/// else <see cref="Tenants.Default"/>. Only existing tenants count: an unknown <c>tenants/x/</c> stays the default
/// tenant's. The tenant ids are cached (copy on write) and read again from the <see cref="TenantDirectory"/> only when a
/// batch names a namespace the cache does not know, and then only when a tenant was added since (or, for tenants added
/// by another process, at most once per <see cref="RefreshInterval"/>); the per-message lookups allocate nothing.
/// Called by the stores' batch writers and the shadow store, never per message.
/// </summary>
internal sealed partial class KnownTenants(TimeProvider time, ILogger<KnownTenants> logger, TenantDirectory? directory = null)
{
    /// <summary>Shortest time between two reads of the tenant list (unknown namespaces do not hammer the database).</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    private volatile HashSet<string> _known = new(StringComparer.Ordinal);
    private long _refreshedAt = long.MinValue; // guarded by _refreshLock, like _version and _refreshing
    private long _version = -1;
    private readonly Lock _refreshLock = new();
    private Task? _refreshing;

    /// <summary>Reads the tenant list again when a message's topic names a namespace the cache does not know.</summary>
    public Task PrepareAsync(IReadOnlyList<HistoryMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var known = _known;
        foreach (var message in messages)
        {
            if (IsUnknown(known, message.Message.Topic))
            {
                return RefreshAsync(cancellationToken);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Reads the tenant list again when a dead letter's topic or client ids name a namespace the cache does not know.</summary>
    public Task PrepareAsync(IReadOnlyList<DeadLetter> deadLetters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deadLetters);
        var known = _known;
        foreach (var deadLetter in deadLetters)
        {
            if (IsUnknown(known, deadLetter.Message.Topic) || IsUnknown(known, deadLetter.ClientId) || (deadLetter.PublisherClientId is { } publisher && IsUnknown(known, publisher)))
            {
                return RefreshAsync(cancellationToken);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Reads the tenant list now, unless this process added no tenant since the last read and that read is less than
    /// <see cref="RefreshInterval"/> old (tenants added by another process). The history and dead-letter writers and the
    /// shadow store ask concurrently: a read under way that started after the latest tenant was added is waited for, not
    /// repeated; one that started before is followed by another.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        if (directory is null)
        {
            return; // a host without tenancy: everything is the default tenant's
        }

        Task read;
        lock (_refreshLock)
        {
            var version = directory.Version;
            if (_refreshing is { IsCompleted: false } underWay && version == _version)
            {
                read = underWay;
            }
            else
            {
                var now = time.GetTimestamp();
                if (_refreshedAt != long.MinValue && version == _version && time.GetElapsedTime(_refreshedAt, now) < RefreshInterval)
                {
                    return;
                }

                _refreshedAt = now;
                _version = version;
                read = _refreshing = ReadAsync(_refreshing, directory);
            }
        }

        await read.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One read of the tenant list, after <paramref name="previous"/> (not cancelled by one waiter: others wait on it too).</summary>
    private async Task ReadAsync(Task? previous, TenantDirectory directory)
    {
        if (previous is not null)
        {
            await previous.ConfigureAwait(false); // never faults: failures are logged below
        }

        try
        {
            var tenants = await directory.ListAsync(CancellationToken.None).ConfigureAwait(false);
            var ids = new HashSet<string>(tenants.Count, StringComparer.Ordinal);
            foreach (var tenant in tenants)
            {
                ids.Add(tenant.Id);
            }

            _known = ids;
        }
        catch (Exception exception)
        {
            LogRefreshFailed(logger, exception); // the cached list stays in force
        }
    }

    /// <summary>The tenant to stamp on data stored under <paramref name="key"/> (a thing key or client id), reading the list again when its namespace is unknown.</summary>
    public async ValueTask<string> StampOfAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (TryKnown(key, out var tenant) || Candidate(key).IsEmpty)
        {
            return tenant;
        }

        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        return TryKnown(key, out tenant) ? tenant : Tenants.Default;
    }

    /// <summary>The tenant of <paramref name="topic"/>'s namespace when that tenant exists, else the default tenant.</summary>
    public string TenantOfTopic(string topic) => TryKnown(topic, out var tenant) ? tenant : Tenants.Default;

    /// <summary>The tenant of a dead letter: its topic's namespace, else its client id's, else its publisher's, else the default tenant.</summary>
    public string TenantOf(DeadLetter deadLetter)
    {
        ArgumentNullException.ThrowIfNull(deadLetter);
        if (TryKnown(deadLetter.Message.Topic, out var tenant) || TryKnown(deadLetter.ClientId, out tenant))
        {
            return tenant;
        }

        return deadLetter.PublisherClientId is { } publisher && TryKnown(publisher, out tenant) ? tenant : Tenants.Default;
    }

    private bool TryKnown(string topicOrClientId, out string tenant)
    {
        var candidate = Candidate(topicOrClientId);
        if (!candidate.IsEmpty && _known.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(candidate, out var known))
        {
            tenant = known;
            return true;
        }

        tenant = Tenants.Default;
        return false;
    }

    private static bool IsUnknown(HashSet<string> known, string topicOrClientId) =>
        Candidate(topicOrClientId) is { IsEmpty: false } candidate && !known.GetAlternateLookup<ReadOnlySpan<char>>().Contains(candidate);

    /// <summary>"acme" of "tenants/acme/..." (something must follow the namespace); empty otherwise.</summary>
    private static ReadOnlySpan<char> Candidate(string topicOrClientId)
    {
        var span = topicOrClientId.AsSpan();
        if (!span.StartsWith(TenantTopics.Root, StringComparison.Ordinal))
        {
            return default;
        }

        var rest = span[TenantTopics.Root.Length..];
        var slash = rest.IndexOf('/');
        return slash > 0 && slash < rest.Length - 1 ? rest[..slash] : default;
    }

    [LoggerMessage(EventId = 3505, Level = LogLevel.Warning, Message = "The tenant list could not be read for broker data (history, dead letters, shadows); records are attributed with the tenants known so far")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
