using System.Collections.Frozen;
using IoTix.Web.Data;
using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace IoTix.Web.Devices;

/// <summary>
/// The ids of the existing tenants, cached: data the broker stores under a key of namespace <c>tenants/{t}/</c> is
/// stamped with tenant <c>t</c> only when that tenant exists (else <see cref="Tenants.Default"/>, the platform's). An
/// unknown namespace reloads the list at most every <see cref="RefreshInterval"/>, so a burst of messages of a
/// namespace without a tenant costs no database call per message; tenants are never deleted, so a known one stays.
/// </summary>
internal sealed class KnownTenants(IoTixDatabase database, TimeProvider timeProvider)
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _reload = new(1, 1);
    private FrozenSet<string> _ids = FrozenSet<string>.Empty;
    private long _loadedAt = long.MinValue;

    /// <summary>The tenant to stamp on data stored under <paramref name="key"/>.</summary>
    public async ValueTask<string> StampOfAsync(string key, CancellationToken cancellationToken = default)
    {
        var tenant = TenantKeys.NamespaceOf(key);
        if (string.Equals(tenant, Tenants.Default, StringComparison.Ordinal) || Volatile.Read(ref _ids).Contains(tenant))
        {
            return tenant;
        }

        await ReloadAsync(cancellationToken).ConfigureAwait(false);
        return Volatile.Read(ref _ids).Contains(tenant) ? tenant : Tenants.Default;
    }

    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _reload.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = timeProvider.GetTimestamp();
            if (_loadedAt != long.MinValue && timeProvider.GetElapsedTime(_loadedAt, now) < RefreshInterval)
            {
                return;
            }

            _loadedAt = now;
            if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            await using var context = database.CreateDbContext();
            var ids = await context.Set<TenantRecord>().AsNoTracking().Select(t => t.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _ids, ids.ToFrozenSet(StringComparer.Ordinal));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
        }
        finally
        {
            _reload.Release();
        }
    }
}
