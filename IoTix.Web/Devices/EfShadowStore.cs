using IoTix.Broker.Shadows;
using IoTix.Web.Data;
using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace IoTix.Web.Devices;

/// <summary>
/// Shadows in the IoTix database (table device_shadows); an unreachable database answers "unavailable". The broker
/// names a shadow by its thing key, which carries the namespace (<c>tenants/{t}/{thing}</c>): the store works across
/// tenants on that key and stamps each row with the key's tenant (when it exists, see <see cref="KnownTenants"/>).
/// </summary>
internal sealed class EfShadowStore(IoTixDatabase database, KnownTenants tenants) : IShadowStore
{
    public async Task<(ShadowLoadStatus Status, StoredShadow? Shadow)> LoadAsync(string thingName, CancellationToken cancellationToken = default)
    {
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            return (ShadowLoadStatus.Unavailable, null);
        }

        try
        {
            await using var context = CreateContext();
            var record = await context.Set<ShadowRecord>().AsNoTracking().FirstOrDefaultAsync(s => s.ThingName == thingName, cancellationToken).ConfigureAwait(false);
            return record is null
                ? (ShadowLoadStatus.NotFound, null)
                : (ShadowLoadStatus.Found, new StoredShadow(record.ThingName, record.Version, new DateTimeOffset(DateTime.SpecifyKind(record.UpdatedAt, DateTimeKind.Utc)), record.Document));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
            return (ShadowLoadStatus.Unavailable, null);
        }
    }

    public async Task<bool> SaveAsync(StoredShadow shadow, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(shadow);
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        try
        {
            await using var context = CreateContext();
            var set = context.Set<ShadowRecord>();
            var record = await set.FirstOrDefaultAsync(s => s.ThingName == shadow.ThingName, cancellationToken).ConfigureAwait(false);
            if (record is null)
            {
                record = new ShadowRecord { ThingName = shadow.ThingName };
                set.Add(record);
            }

            record.TenantId = await tenants.StampOfAsync(shadow.ThingName, cancellationToken).ConfigureAwait(false);
            record.Version = shadow.Version;
            record.UpdatedAt = shadow.UpdatedAt.UtcDateTime;
            record.Document = shadow.DocumentJson;
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
            return false;
        }
    }

    public async Task<bool> DeleteAsync(string thingName, CancellationToken cancellationToken = default)
    {
        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        try
        {
            await using var context = CreateContext();
            await context.Set<ShadowRecord>().Where(s => s.ThingName == thingName).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            database.ReportFailure(exception);
            return false;
        }
    }

    /// <summary>A context across tenants: the key is the isolation (each tenant reaches only keys of its namespace).</summary>
    private IoTixDbContext CreateContext()
    {
        var context = database.CreateDbContext();
        context.TenantId = null;
        return context;
    }
}
