using System.Security.Cryptography;
using System.Text.RegularExpressions;
using IoTix.Broker;
using IoTix.Broker.Admin;
using IoTix.Broker.Security;
using IoTix.Web.Data;
using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IoTix.Web.MqttUsers;

public enum MqttUserError
{
    None,
    InvalidArgument,
    AlreadyExists,
    NotFound,
    Unavailable,
}

/// <summary>
/// Outcome of a create or revoke: the user, and on create the generated password (shown once; null when the caller
/// chose one); on revoke how many connections were dropped.
/// </summary>
public sealed record MqttUserResult(MqttUserError Error, string Field, string Message, MqttUserRecord? User = null, string? GeneratedPassword = null, int Disconnected = 0)
{
    public bool Succeeded => Error == MqttUserError.None;

    public static MqttUserResult Fail(MqttUserError error, string field, string message) => new(error, field, message);
}

/// <summary>
/// A tenant's MQTT users: list, create (the user name is <c>{tenant}/{name}</c>, <c>{name}</c> for the default
/// tenant; a generated password is returned once; only its hash is stored; the simulator's reserved name
/// <see cref="SimulatorIdentity.ReservedName"/> is refused, and never listed or revoked) and revoke (deleted, refused from the next
/// CONNECT on, and its open connections dropped with DISCONNECT 0x98 Administrative action). Every call names the
/// caller's tenant; a user of another tenant is not found.
/// </summary>
internal sealed partial class MqttUserService
{
    public const int MinPasswordLength = 12;
    public const int MaxPasswordLength = 256;

    private readonly IDbContextFactory<IoTixDbContext> _database;
    private readonly MqttUserCache _cache;
    private readonly IBrokerAdmin _broker;
    private readonly IOptions<BrokerOptions> _brokerOptions;
    private readonly TimeProvider _time;
    private readonly ILogger<MqttUserService> _logger;

    public MqttUserService(IDbContextFactory<IoTixDbContext> database, MqttUserCache cache, IBrokerAdmin broker, IOptions<BrokerOptions> brokerOptions, TimeProvider time, ILogger<MqttUserService> logger)
    {
        _database = database;
        _cache = cache;
        _broker = broker;
        _brokerOptions = brokerOptions;
        _time = time;
        _logger = logger;
    }

    /// <summary>The MQTT user name of <paramref name="name"/> in <paramref name="tenantId"/>: <c>{tenant}/{name}</c>, or <c>{name}</c> for the default tenant.</summary>
    public static string UsernameOf(string tenantId, string name) =>
        string.Equals(tenantId, Tenants.Default, StringComparison.Ordinal) ? name : tenantId + "/" + name;

    /// <summary>The client id prefix a user of <paramref name="tenantId"/> must connect with; null for the default tenant (no confinement).</summary>
    public static string? ClientIdPrefixOf(string tenantId) =>
        string.Equals(tenantId, Tenants.Default, StringComparison.Ordinal) ? null : TenantTopics.PrefixOf(tenantId);

    /// <summary>The tenant's users ordered by name; null when the database is unavailable.</summary>
    public async Task<IReadOnlyList<MqttUserRecord>?> ListAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var context = await CreateContextAsync(tenantId, cancellationToken).ConfigureAwait(false);
            return await context.Set<MqttUserRecord>().AsNoTracking().Where(u => u.TenantId == tenantId && u.Name != SimulatorIdentity.ReservedName).OrderBy(u => u.Name).ToListAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
        {
            LogStoreFailed(_logger, exception);
            return null;
        }
    }

    public async Task<MqttUserResult> CreateAsync(string tenantId, string? name, string? password, string createdBy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        name = name?.Trim();
        if (name is null || !ValidName().IsMatch(name))
        {
            return MqttUserResult.Fail(MqttUserError.InvalidArgument, "name", "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }

        if (SimulatorIdentity.IsReserved(name))
        {
            return MqttUserResult.Fail(MqttUserError.InvalidArgument, "name", $"'{SimulatorIdentity.ReservedName}' is reserved: '{UsernameOf(tenantId, SimulatorIdentity.ReservedName)}' is the internal identity of the tenant's simulated devices; choose another name");
        }

        if (password is not null && password.Length is < MinPasswordLength or > MaxPasswordLength)
        {
            return MqttUserResult.Fail(MqttUserError.InvalidArgument, "password", $"must be {MinPasswordLength} to {MaxPasswordLength} characters (omit it to get a generated one)");
        }

        var username = UsernameOf(tenantId, name);
        foreach (var configured in _brokerOptions.Value.Users)
        {
            if (string.Equals(configured.Username, username, StringComparison.Ordinal))
            {
                return MqttUserResult.Fail(MqttUserError.AlreadyExists, "name", $"the MQTT user '{username}' already exists");
            }
        }

        var generated = password is null ? Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_') : null;
        var record = new MqttUserRecord
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            TenantId = tenantId,
            Name = name,
            Username = username,
            PasswordHash = BrokerPasswordHasher.HashPassword(password ?? generated!),
            CreatedBy = createdBy,
            CreatedAt = _time.GetUtcNow().UtcDateTime,
        };
        var failed = await StoreAsync(tenantId, async context =>
        {
            if (await context.Set<MqttUserRecord>().AnyAsync(u => u.Username == username, cancellationToken).ConfigureAwait(false))
            {
                // User names carry the tenant: only a user of the same tenant can hold this one.
                return MqttUserResult.Fail(MqttUserError.AlreadyExists, "name", $"the MQTT user '{username}' already exists");
            }

            context.Add(record);
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }, cancellationToken).ConfigureAwait(false);
        if (failed is not null)
        {
            return failed;
        }

        _cache.Set(username, MqttUserCache.Credentials(record));
        LogCreated(_logger, username, tenantId, createdBy);
        return new MqttUserResult(MqttUserError.None, "", $"MQTT user '{username}' created", record, generated);
    }

    /// <summary>Deletes the user, refuses its next CONNECT and drops its open connections.</summary>
    public async Task<MqttUserResult> RevokeAsync(string tenantId, string id, CancellationToken cancellationToken = default)
    {
        MqttUserRecord? record = null;
        var failed = await StoreAsync(tenantId, async context =>
        {
            record = await context.Set<MqttUserRecord>().FirstOrDefaultAsync(u => u.Id == id && u.TenantId == tenantId && u.Name != SimulatorIdentity.ReservedName, cancellationToken).ConfigureAwait(false);
            if (record is null)
            {
                return MqttUserResult.Fail(MqttUserError.NotFound, "id", $"MQTT user '{id}' not found");
            }

            context.Remove(record);
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }, cancellationToken).ConfigureAwait(false);
        if (failed is not null || record is null)
        {
            return failed ?? MqttUserResult.Fail(MqttUserError.NotFound, "id", $"MQTT user '{id}' not found");
        }

        _cache.Remove(record.Username);
        int dropped = 0;
        foreach (var client in await _broker.GetClientsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (string.Equals(client.UserName, record.Username, StringComparison.Ordinal)
                && (await _broker.DisconnectClientAsync(client.ClientId, cancellationToken).ConfigureAwait(false)).Succeeded)
            {
                dropped++;
            }
        }

        LogRevoked(_logger, record.Username, tenantId, dropped);
        return new MqttUserResult(MqttUserError.None, "", $"MQTT user '{record.Username}' revoked; {dropped} connection(s) dropped", record, Disconnected: dropped);
    }

    /// <summary>Runs a change on a context of the tenant: its failure, null when it succeeded, or "unavailable".</summary>
    private async Task<MqttUserResult?> StoreAsync(string tenantId, Func<IoTixDbContext, Task<MqttUserResult?>> change, CancellationToken cancellationToken)
    {
        try
        {
            await using var context = await CreateContextAsync(tenantId, cancellationToken).ConfigureAwait(false);
            return await change(context).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
        {
            LogStoreFailed(_logger, exception);
            return MqttUserResult.Fail(MqttUserError.Unavailable, "$", "the database is unavailable; retry later");
        }
    }

    private async Task<IoTixDbContext> CreateContextAsync(string tenantId, CancellationToken cancellationToken)
    {
        var context = await _database.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        context.TenantId = tenantId;
        return context;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex ValidName();
}
