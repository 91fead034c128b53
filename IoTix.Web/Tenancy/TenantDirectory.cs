using IoTix.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Tenancy;

/// <summary>The tenants (platform administration) and each tenant's effective quotas.</summary>
public sealed class TenantDirectory(IDbContextFactory<IoTixDbContext> database, IOptions<TenancyOptions> options, TimeProvider time)
{
    private long _version;

    /// <summary>Grows whenever this process adds a tenant (caches of the tenant list compare it).</summary>
    public long Version => Interlocked.Read(ref _version);

    public async Task<IReadOnlyList<TenantRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var context = await database.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await context.Set<TenantRecord>().AsNoTracking().OrderBy(t => t.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<TenantRecord?> FindAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var context = await database.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await context.Set<TenantRecord>().AsNoTracking().SingleOrDefaultAsync(t => t.Id == id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds a tenant; false when the id is taken.</summary>
    public async Task<bool> TryAddAsync(TenantRecord tenant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        await using var context = await database.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (await context.Set<TenantRecord>().AnyAsync(t => t.Id == tenant.Id, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        tenant.CreatedAt = time.GetUtcNow().UtcDateTime;
        context.Add(tenant);
        await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _version);
        return true;
    }

    /// <summary>Replaces a tenant's name and quotas; null when there is no such tenant.</summary>
    public async Task<TenantRecord?> UpdateAsync(string id, Action<TenantRecord> change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        await using var context = await database.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var tenant = await context.Set<TenantRecord>().FindAsync([id], cancellationToken).ConfigureAwait(false);
        if (tenant is null)
        {
            return null;
        }

        change(tenant);
        await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return tenant;
    }

    /// <summary>The quotas that apply to <paramref name="tenantId"/>: its own where set, else <c>IoTix:Tenancy:DefaultQuotas</c>.</summary>
    public async Task<TenantQuotas> QuotasAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        var defaults = options.Value.DefaultQuotas;
        TenantRecord? tenant;
        try
        {
            tenant = await FindAsync(tenantId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException && tenantId == Tenants.Default)
        {
            tenant = null; // the default tenant keeps working on a degraded database
        }

        return new TenantQuotas
        {
            MaxDevices = tenant?.MaxDevices ?? defaults.MaxDevices,
            MaxGroups = tenant?.MaxGroups ?? defaults.MaxGroups,
            MaxMessagesPerSecond = tenant?.MaxMessagesPerSecond ?? defaults.MaxMessagesPerSecond,
            HistoryRetentionDays = tenant?.HistoryRetentionDays ?? defaults.HistoryRetentionDays,
        };
    }
}
