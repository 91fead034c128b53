using System.Security.Cryptography;
using System.Text;
using IoTix.Web.Data;
using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace IoTix.Web.Accounts;

/// <summary>A new key: its record and the key itself, shown once.</summary>
public sealed record CreatedApiKey(ApiKeyRecord Record, string Key);

/// <summary>
/// API keys of the caller's tenant (the context's query filter): create (shown once, stored as SHA-256), list, revoke;
/// and the authentication lookup across tenants by hash.
/// </summary>
public sealed class ApiKeyService
{
    private const string KeyPrefix = "iotix_";

    private readonly IDbContextFactory<IoTixDbContext> _database;
    private readonly TimeProvider _time;

    public ApiKeyService(IDbContextFactory<IoTixDbContext> database, TimeProvider time)
    {
        _database = database;
        _time = time;
    }

    public async Task<CreatedApiKey> CreateAsync(string name, string role, DateTimeOffset? expiresAt, string createdBy, CancellationToken cancellationToken = default)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var key = $"{KeyPrefix}{id}_{Base64Url(RandomNumberGenerator.GetBytes(32))}";
        var record = await AddAsync(id, name, role, key, expiresAt, createdBy, platformAdmin: false, cancellationToken).ConfigureAwait(false);
        return new CreatedApiKey(record, key);
    }

    /// <summary>Makes sure the configured administrator key exists (for the current tenant); true when it was added.</summary>
    internal async Task<bool> EnsureAsync(string name, string key, string role, bool platformAdmin, string createdBy, CancellationToken cancellationToken = default)
    {
        var hash = HashOf(key);
        await using (var context = await _database.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await context.Set<ApiKeyRecord>().IgnoreQueryFilters().AnyAsync(k => k.Hash == hash, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }

        await AddAsync(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), name, role, key, null, createdBy, platformAdmin, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task<ApiKeyRecord> AddAsync(string id, string name, string role, string key, DateTimeOffset? expiresAt, string createdBy, bool platformAdmin, CancellationToken cancellationToken)
    {
        var record = new ApiKeyRecord
        {
            Id = id,
            Name = name,
            Prefix = key[..Math.Min(key.Length, 12)],
            Hash = HashOf(key),
            Role = role,
            PlatformAdmin = platformAdmin,
            CreatedBy = createdBy,
            CreatedAt = _time.GetUtcNow().UtcDateTime,
            ExpiresAt = expiresAt?.UtcDateTime,
        };
        await using var context = await _database.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        context.Add(record);
        await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return record;
    }

    /// <summary>The current tenant's keys, newest first.</summary>
    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var context = await _database.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await context.Set<ApiKeyRecord>().AsNoTracking().OrderByDescending(k => k.CreatedAt).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Revokes a key of the current tenant; null when there is no such key in this tenant.</summary>
    public async Task<ApiKeyRecord?> RevokeAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var context = await _database.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var record = await context.Set<ApiKeyRecord>().FindAsync([id], cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            return null;
        }

        record.RevokedAt ??= _time.GetUtcNow().UtcDateTime;
        await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return record;
    }

    /// <summary>The valid (not revoked, not expired) key matching <paramref name="key"/>, in any tenant.</summary>
    internal async Task<ApiKeyRecord?> FindValidAsync(string key, CancellationToken cancellationToken = default)
    {
        var hash = HashOf(key);
        ApiKeyRecord? record;
        using (TenantScope.EnterSystem())
        {
            await using var context = await _database.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            record = await context.Set<ApiKeyRecord>().AsNoTracking().SingleOrDefaultAsync(k => k.Hash == hash, cancellationToken).ConfigureAwait(false);
        }

        if (record is null || record.RevokedAt is not null)
        {
            return null;
        }

        return record.ExpiresAt is { } expires && expires <= _time.GetUtcNow().UtcDateTime ? null : record;
    }

    internal static string HashOf(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
