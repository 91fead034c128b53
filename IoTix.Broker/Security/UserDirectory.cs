using System.Collections.Frozen;
using Microsoft.Extensions.Options;

namespace IoTix.Broker.Security;

public enum AuthenticationOutcome
{
    Accepted,
    BadUserNameOrPassword,
    NotAuthorized,
}

/// <summary>
/// Checks CONNECT credentials against <c>Broker:Users</c> (FR-019) and then the runtime users of the host's
/// <see cref="IMqttUserSource"/> (a tenant's MQTT users); passwords are never stored or logged.
/// </summary>
internal sealed class UserDirectory
{
    private readonly IMqttUserSource? _runtime;
    private readonly FrozenDictionary<string, string> _hashes;
    private readonly FrozenDictionary<string, string> _tenants;
    private readonly bool _anonymousAllowed;

    public UserDirectory(IOptions<BrokerOptions> options, IMqttUserSource? runtime = null)
    {
        _runtime = runtime;
        var value = options.Value;
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        var tenants = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var user in value.Users)
        {
            hashes[user.Username] = user.PasswordHash;
            if (!string.IsNullOrEmpty(user.Tenant))
            {
                tenants[user.Username] = user.Tenant;
            }
        }

        _hashes = hashes.ToFrozenDictionary(StringComparer.Ordinal);
        _tenants = tenants.ToFrozenDictionary(StringComparer.Ordinal);
        _anonymousAllowed = value.IsAnonymousAllowed;
    }

    /// <summary>True when some user belongs to a tenant, or may at run time (topic confinement applies).</summary>
    public bool HasTenantUsers => _tenants.Count > 0 || _runtime is not null;

    /// <summary>The tenant of <paramref name="username"/>, or null for a platform user (or no user).</summary>
    public string? TenantOf(string? username)
    {
        if (username is null)
        {
            return null;
        }

        if (_hashes.ContainsKey(username))
        {
            return _tenants.GetValueOrDefault(username);
        }

        return _runtime is not null && _runtime.TryFind(username, out var user) ? user.Tenant : null;
    }

    /// <summary>True when <paramref name="username"/> is a runtime user (of the host's <see cref="IMqttUserSource"/>, not configured).</summary>
    public bool IsRuntimeUser(string? username) =>
        username is not null && _runtime is not null && !_hashes.ContainsKey(username) && _runtime.TryFind(username, out _);

    /// <summary>
    /// Anonymous (no user name): accepted when allowed, or when a verified client certificate maps to an identity.
    /// With a user name: the user must exist and the password verify.
    /// </summary>
    public AuthenticationOutcome Authenticate(string? username, byte[]? password, bool hasVerifiedCertificate)
    {
        if (string.IsNullOrEmpty(username))
        {
            return _anonymousAllowed || hasVerifiedCertificate ? AuthenticationOutcome.Accepted : AuthenticationOutcome.NotAuthorized;
        }

        if (!_hashes.TryGetValue(username, out var hash))
        {
            if (_runtime is not null && _runtime.TryFind(username, out var runtimeUser))
            {
                return password is not null && BrokerPasswordHasher.Verify(runtimeUser.PasswordHash, password)
                    ? AuthenticationOutcome.Accepted
                    : AuthenticationOutcome.BadUserNameOrPassword;
            }

            // No such user: on an open loopback broker, a user name alone is an identity (mosquitto behaviour with
            // allow_anonymous and no password file); with a user database it is a bad login. A name of the runtime
            // users' form ({tenant}/{name}) is always a bad login: a revoked tenant user does not come back unconfined.
            return _hashes.Count == 0 && _anonymousAllowed && !(_runtime is not null && username.Contains('/', StringComparison.Ordinal))
                ? AuthenticationOutcome.Accepted
                : AuthenticationOutcome.BadUserNameOrPassword;
        }

        return password is not null && BrokerPasswordHasher.Verify(hash, password)
            ? AuthenticationOutcome.Accepted
            : AuthenticationOutcome.BadUserNameOrPassword;
    }
}
