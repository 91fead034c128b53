using System.Collections.Frozen;
using IoTix.Broker.Security;
using IoTix.Web.Data;
using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace IoTix.Web.MqttUsers;

/// <summary>
/// The broker's runtime user source (<see cref="IMqttUserSource"/>): every stored MQTT user in memory, so a CONNECT
/// costs one dictionary lookup. Loaded at start (and on the first lookup when the start found the database down),
/// then changed only by <see cref="MqttUserService"/> (copy on write under a lock; readers never lock). One web
/// process owns the table: users written by another process show up after a restart.
/// </summary>
internal sealed partial class MqttUserCache(IoTixDatabase database, SimulatorIdentity simulator, ILogger<MqttUserCache> logger) : IMqttUserSource, IHostedService
{
    private readonly Lock _gate = new();
    private FrozenDictionary<string, MqttUserCredentials>? _users;

    /// <summary>A stored user, or a tenant's simulator identity (<see cref="SimulatorIdentity"/>: its reserved name wins).</summary>
    public bool TryFind(string username, out MqttUserCredentials user)
    {
        if (simulator.TryFind(username, out user))
        {
            return true;
        }

        var users = Volatile.Read(ref _users) ?? LoadIfReady();
        return users.TryGetValue(username, out user!);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            LoadIfReady();
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Adds or replaces a user (after it was stored).</summary>
    public void Set(string username, MqttUserCredentials user) => Change(username, user);

    /// <summary>Removes a user (after it was deleted): it cannot authenticate from the next CONNECT on.</summary>
    public void Remove(string username) => Change(username, null);

    private void Change(string username, MqttUserCredentials? user)
    {
        LoadIfReady();
        lock (_gate)
        {
            var copy = new Dictionary<string, MqttUserCredentials>(_users ?? FrozenDictionary<string, MqttUserCredentials>.Empty, StringComparer.Ordinal);
            if (user is null)
            {
                copy.Remove(username);
            }
            else
            {
                copy[username] = user;
            }

            Volatile.Write(ref _users, copy.ToFrozenDictionary(StringComparer.Ordinal));
        }
    }

    /// <summary>
    /// The users, loading them once when the database is ready (a synchronous query on the first CONNECT only when
    /// the start-up load could not run); empty while the database is down, retried on the next lookup.
    /// </summary>
    private FrozenDictionary<string, MqttUserCredentials> LoadIfReady()
    {
        lock (_gate)
        {
            if (_users is { } loaded)
            {
                return loaded;
            }

            if (!database.IsReady)
            {
                return FrozenDictionary<string, MqttUserCredentials>.Empty;
            }

            try
            {
                using var context = database.CreateDbContext();
                context.TenantId = null; // every tenant's users
                var users = new Dictionary<string, MqttUserCredentials>(StringComparer.Ordinal);
                foreach (var record in context.Set<MqttUserRecord>().AsNoTracking().ToList())
                {
                    users[record.Username] = Credentials(record);
                }

                var frozen = users.ToFrozenDictionary(StringComparer.Ordinal);
                Volatile.Write(ref _users, frozen);
                LogLoaded(logger, frozen.Count);
                return frozen;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                database.ReportFailure(exception);
                LogLoadFailed(logger, exception);
                return FrozenDictionary<string, MqttUserCredentials>.Empty;
            }
        }
    }

    /// <summary>A default-tenant user is a platform user (not confined); any other is confined to its tenant.</summary>
    internal static MqttUserCredentials Credentials(MqttUserRecord record) => new(record.PasswordHash, ConfinedTenant(record.TenantId));

    /// <summary>The tenant a user of <paramref name="tenantId"/> is confined to: none (null) for the default tenant.</summary>
    internal static string? ConfinedTenant(string tenantId) =>
        string.Equals(tenantId, Tenants.Default, StringComparison.Ordinal) ? null : tenantId;
}
