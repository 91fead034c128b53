using System.Security.Claims;
using IoTix.Web.Audit;
using Microsoft.AspNetCore.Identity;

namespace IoTix.Web.Accounts;

/// <summary>A user's two-factor state: whether it is on and how many recovery codes are left.</summary>
public sealed record TwoFactorStatus(bool Enabled, int RecoveryCodesLeft);

/// <summary>An authenticator key to enter in an app: the base32 key and its <c>otpauth://totp/</c> URI.</summary>
public sealed record AuthenticatorKey(string Key, string Uri);

/// <summary>How enabling two-factor ended: on success the one-time recovery codes, else the reason.</summary>
public sealed record TwoFactorEnableResult(bool Succeeded, string? Error, IReadOnlyList<string> RecoveryCodes);

/// <summary>
/// Optional TOTP two-factor (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps) for the signed-in user, on ASP.NET Core
/// Identity's authenticator token provider: a new key, enable with a first code (returns recovery codes), disable.
/// Every change is audited (<c>account.2fa.*</c>).
/// </summary>
public sealed class TwoFactorSetup(UserManager<IoTixUser> users, IAuditLog audit)
{
    /// <summary>The issuer shown in authenticator apps.</summary>
    public const string Issuer = "IoTix";

    /// <summary>Recovery codes made when two-factor is turned on or the codes are renewed.</summary>
    public const int RecoveryCodeCount = 10;

    public async Task<TwoFactorStatus?> GetStatusAsync(ClaimsPrincipal principal)
    {
        var user = await FindAsync(principal).ConfigureAwait(false);
        return user is null
            ? null
            : new TwoFactorStatus(await users.GetTwoFactorEnabledAsync(user).ConfigureAwait(false), await users.CountRecoveryCodesAsync(user).ConfigureAwait(false));
    }

    /// <summary>A fresh authenticator key (replacing any earlier one); two-factor stays off until <see cref="EnableAsync"/>.</summary>
    public async Task<AuthenticatorKey?> NewKeyAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var user = await FindAsync(principal).ConfigureAwait(false);
        if (user is null || await users.GetTwoFactorEnabledAsync(user).ConfigureAwait(false))
        {
            return null;
        }

        await users.ResetAuthenticatorKeyAsync(user).ConfigureAwait(false);
        var key = await users.GetAuthenticatorKeyAsync(user).ConfigureAwait(false);
        if (key is null)
        {
            return null;
        }

        await AuditAsync(user, "account.2fa.key", AuditOutcomes.Success, null, cancellationToken).ConfigureAwait(false);
        return new AuthenticatorKey(key, UriFor(user.Email ?? user.UserName ?? user.Id, key));
    }

    /// <summary>Turns two-factor on when <paramref name="code"/> matches the current key.</summary>
    public async Task<TwoFactorEnableResult> EnableAsync(ClaimsPrincipal principal, string? code, CancellationToken cancellationToken = default)
    {
        var user = await FindAsync(principal).ConfigureAwait(false);
        if (user is null)
        {
            return new TwoFactorEnableResult(false, "not signed in", []);
        }

        var clean = CleanCode(code);
        if (string.IsNullOrEmpty(clean)
            || await users.GetAuthenticatorKeyAsync(user).ConfigureAwait(false) is null
            || !await users.VerifyTwoFactorTokenAsync(user, TokenOptions.DefaultAuthenticatorProvider, clean).ConfigureAwait(false))
        {
            await AuditAsync(user, "account.2fa.enable", AuditOutcomes.Failed, "wrong two-factor code", cancellationToken).ConfigureAwait(false);
            return new TwoFactorEnableResult(false, "the code does not match the key; check the clock of the device running the authenticator app", []);
        }

        await users.SetTwoFactorEnabledAsync(user, true).ConfigureAwait(false);
        var recovery = await users.GenerateNewTwoFactorRecoveryCodesAsync(user, RecoveryCodeCount).ConfigureAwait(false);
        await AuditAsync(user, "account.2fa.enable", AuditOutcomes.Success, null, cancellationToken).ConfigureAwait(false);
        return new TwoFactorEnableResult(true, null, recovery is null ? [] : [.. recovery]);
    }

    /// <summary>Replaces the user's recovery codes with ten new ones (the old ones stop working); empty when two-factor is off.</summary>
    public async Task<IReadOnlyList<string>> RegenerateRecoveryCodesAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var user = await FindAsync(principal).ConfigureAwait(false);
        if (user is null || !await users.GetTwoFactorEnabledAsync(user).ConfigureAwait(false))
        {
            return [];
        }

        var codes = await users.GenerateNewTwoFactorRecoveryCodesAsync(user, RecoveryCodeCount).ConfigureAwait(false);
        await AuditAsync(user, "account.2fa.recovery-codes", AuditOutcomes.Success, "new recovery codes; the old ones no longer work", cancellationToken).ConfigureAwait(false);
        return codes is null ? [] : [.. codes];
    }

    /// <summary>Turns two-factor off and forgets the key, so turning it on again needs a new key.</summary>
    public async Task<bool> DisableAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var user = await FindAsync(principal).ConfigureAwait(false);
        if (user is null)
        {
            return false;
        }

        await users.SetTwoFactorEnabledAsync(user, false).ConfigureAwait(false);
        await users.ResetAuthenticatorKeyAsync(user).ConfigureAwait(false);
        await AuditAsync(user, "account.2fa.disable", AuditOutcomes.Success, null, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The <c>otpauth://</c> URI of a key (the Key Uri Format of Google Authenticator, understood by all apps).</summary>
    public static string UriFor(string account, string key) =>
        $"otpauth://totp/{System.Uri.EscapeDataString(Issuer)}:{System.Uri.EscapeDataString(account)}?secret={key}&issuer={System.Uri.EscapeDataString(Issuer)}&digits=6&period=30";

    /// <summary>An authenticator code as typed ("123 456", "123-456") without its separators.</summary>
    internal static string? CleanCode(string? code) => code?.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);

    private async Task<IoTixUser?> FindAsync(ClaimsPrincipal principal)
    {
        var id = principal.FindFirst(AccountClaims.Subject)?.Value;
        return id is null || id.StartsWith("key:", StringComparison.Ordinal) ? null : await users.FindByIdAsync(id).ConfigureAwait(false);
    }

    private Task AuditAsync(IoTixUser user, string action, string outcome, string? details, CancellationToken cancellationToken) =>
        audit.WriteAsync(new AuditEntry(user.TenantId, user.Email ?? user.Id, action, user.Email ?? user.Id, outcome, null, null, details), cancellationToken);
}
