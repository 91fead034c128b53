using System.Collections.Concurrent;
using System.Security.Cryptography;
using IoTix.Web.Audit;
using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.Identity;

namespace IoTix.Web.Accounts;

/// <summary>How a password check ended.</summary>
public enum SignInOutcome
{
    Succeeded,
    Failed,
    LockedOut,

    /// <summary>The seed's development password outside Development.</summary>
    DevelopmentPasswordRefused,

    /// <summary>The password is right and the user has two-factor on, but no authenticator code was given.</summary>
    TwoFactorRequired,

    /// <summary>The password is right but the authenticator code is wrong (counts toward lockout).</summary>
    TwoFactorFailed,

    /// <summary>The password is right but the recovery code is wrong or already used (counts toward lockout).</summary>
    RecoveryCodeFailed,
}

/// <summary>A sign-in to check: e-mail and password, and for users with two-factor on an authenticator code or a recovery code.</summary>
/// <param name="Action">The audit action (<c>auth.signin</c> for the console, <c>auth.login</c> for the API).</param>
public sealed record SignInAttempt(string? Email, string? Password, string Action, string? RemoteIp)
{
    /// <summary>The 6-digit authenticator code (RFC 6238).</summary>
    public string? Totp { get; init; }

    /// <summary>A one-time recovery code, instead of <see cref="Totp"/>; each code signs in once.</summary>
    public string? RecoveryCode { get; init; }
}

public sealed record SignInCheck(SignInOutcome Outcome, IoTixUser? User)
{
    /// <summary>The words shown to the user (never says whether the e-mail exists).</summary>
    public string Message => Outcome switch
    {
        SignInOutcome.Succeeded => "signed in",
        SignInOutcome.LockedOut => "this account is locked after repeated failed sign-ins; try again later",
        SignInOutcome.TwoFactorRequired => "enter the 6-digit code from your authenticator app (totp)",
        SignInOutcome.TwoFactorFailed => "wrong authenticator code (totp)",
        SignInOutcome.RecoveryCodeFailed => "wrong or already used recovery code (recoveryCode)",
        SignInOutcome.DevelopmentPasswordRefused => "the development password works only when IoTix runs in Development; set a password (IoTix:Admin:Password) or sign in with the generated one",
        _ => "wrong e-mail or password",
    };
}

/// <summary>
/// Checks an e-mail and password for the console and <c>POST /api/v1/auth/login</c>: lockout after
/// <c>IoTix:Accounts:MaxFailedSignIns</c> failures in a row (wrong passwords and wrong authenticator codes alike), the
/// development password only in Development, the authenticator code (RFC 6238 TOTP) of users with two-factor on, and
/// every outcome in the audit log.
/// </summary>
public sealed class AccountSignIn(UserManager<IoTixUser> users, IHostEnvironment environment, IAuditLog audit)
{
    public Task<SignInCheck> CheckAsync(string? email, string? password, string action, string? remoteIp, CancellationToken cancellationToken = default) =>
        CheckAsync(new SignInAttempt(email, password, action, remoteIp), cancellationToken);

    /// <param name="totp">The authenticator code; required when the user has two-factor on, ignored otherwise.</param>
    public Task<SignInCheck> CheckAsync(string? email, string? password, string? totp, string action, string? remoteIp, CancellationToken cancellationToken = default) =>
        CheckAsync(new SignInAttempt(email, password, action, remoteIp) { Totp = totp }, cancellationToken);

    public async Task<SignInCheck> CheckAsync(SignInAttempt attempt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var (email, password, action, remoteIp) = attempt;
        var user = string.IsNullOrWhiteSpace(email) ? null : await users.FindByEmailAsync(email.Trim()).ConfigureAwait(false);
        if (user is null || string.IsNullOrEmpty(password))
        {
            await AuditAsync(Tenants.Default, email, action, AuditOutcomes.Failed, "unknown user or empty password", remoteIp, cancellationToken).ConfigureAwait(false);
            return new SignInCheck(SignInOutcome.Failed, null);
        }

        if (await users.IsLockedOutAsync(user).ConfigureAwait(false))
        {
            await AuditAsync(user.TenantId, email, action, AuditOutcomes.Denied, "locked out", remoteIp, cancellationToken).ConfigureAwait(false);
            return new SignInCheck(SignInOutcome.LockedOut, null);
        }

        var developmentPassword = string.Equals(password, AdminOptions.DevelopmentPassword, StringComparison.Ordinal) && !environment.IsDevelopment();
        if (developmentPassword || !await users.CheckPasswordAsync(user, password).ConfigureAwait(false))
        {
            var locked = await FailAsync(user, email, attempt, "wrong password", cancellationToken).ConfigureAwait(false);
            return new SignInCheck(locked ? SignInOutcome.LockedOut : developmentPassword ? SignInOutcome.DevelopmentPasswordRefused : SignInOutcome.Failed, null);
        }

        string? method = null;
        if (await users.GetTwoFactorEnabledAsync(user).ConfigureAwait(false))
        {
            var code = TwoFactorSetup.CleanCode(attempt.Totp);
            var recovery = attempt.RecoveryCode?.Trim();
            if (!string.IsNullOrEmpty(recovery))
            {
                if (!(await users.RedeemTwoFactorRecoveryCodeAsync(user, recovery).ConfigureAwait(false)).Succeeded)
                {
                    var locked = await FailAsync(user, email, attempt, "wrong or used recovery code", cancellationToken).ConfigureAwait(false);
                    return new SignInCheck(locked ? SignInOutcome.LockedOut : SignInOutcome.RecoveryCodeFailed, null);
                }

                method = $"method recovery code; {await users.CountRecoveryCodesAsync(user).ConfigureAwait(false)} left";
            }
            else if (string.IsNullOrEmpty(code))
            {
                // Not a guess, so not counted toward lockout: the console asks for the code as a second step.
                await AuditAsync(user.TenantId, email, action, AuditOutcomes.Denied, "two-factor code required", remoteIp, cancellationToken).ConfigureAwait(false);
                return new SignInCheck(SignInOutcome.TwoFactorRequired, null);
            }
            else if (!await users.VerifyTwoFactorTokenAsync(user, TokenOptions.DefaultAuthenticatorProvider, code).ConfigureAwait(false))
            {
                var locked = await FailAsync(user, email, attempt, "wrong two-factor code", cancellationToken).ConfigureAwait(false);
                return new SignInCheck(locked ? SignInOutcome.LockedOut : SignInOutcome.TwoFactorFailed, null);
            }
            else
            {
                method = "method authenticator code";
            }
        }

        await users.ResetAccessFailedCountAsync(user).ConfigureAwait(false);
        await AuditAsync(user.TenantId, email, action, AuditOutcomes.Success, user.MustChangePassword ? Join(method, "temporary password: must change it") : method, remoteIp, cancellationToken).ConfigureAwait(false);
        return new SignInCheck(SignInOutcome.Succeeded, user);
    }

    /// <summary>Counts a failed guess toward lockout and audits it; true when the account is now locked.</summary>
    private async Task<bool> FailAsync(IoTixUser user, string? email, SignInAttempt attempt, string reason, CancellationToken cancellationToken)
    {
        await users.AccessFailedAsync(user).ConfigureAwait(false);
        var locked = await users.IsLockedOutAsync(user).ConfigureAwait(false);
        await AuditAsync(user.TenantId, email, attempt.Action, AuditOutcomes.Failed, locked ? reason + "; account now locked" : reason, attempt.RemoteIp, cancellationToken).ConfigureAwait(false);
        return locked;
    }

    private static string? Join(string? first, string second) => first is null ? second : $"{first}; {second}";

    private Task AuditAsync(string tenantId, string? email, string action, string outcome, string? reason, string? remoteIp, CancellationToken cancellationToken) =>
        audit.WriteAsync(new AuditEntry(tenantId, email ?? "", action, email ?? "", outcome, null, remoteIp, reason), cancellationToken);
}

/// <summary>
/// One-time tickets that carry a console sign-in from the interactive sign-in page (which cannot set a cookie) to
/// <c>/account/complete-signin</c> (a plain request that can). A ticket lives 60 seconds and is redeemed once.
/// </summary>
public sealed class SignInTickets(TimeProvider time)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, (string UserId, bool Remember, DateTimeOffset Expires)> _tickets = new(StringComparer.Ordinal);

    public string Issue(string userId, bool remember)
    {
        var now = time.GetUtcNow();
        foreach (var (key, ticket) in _tickets)
        {
            if (ticket.Expires <= now)
            {
                _tickets.TryRemove(key, out _);
            }
        }

        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        _tickets[token] = (userId, remember, now + Lifetime);
        return token;
    }

    /// <summary>A ticket for <paramref name="userId"/> as the console path that redeems it and then opens <paramref name="returnUrl"/> (a local path, else "/").</summary>
    public string CompletionPath(string userId, bool remember, string? returnUrl) =>
        $"account/complete-signin?ticket={Issue(userId, remember)}&returnUrl={Uri.EscapeDataString(AccountsServiceCollectionExtensions.IsLocal(returnUrl) ? returnUrl! : "/")}";

    public bool TryRedeem(string? token, out string userId, out bool remember)
    {
        userId = "";
        remember = false;
        if (token is null || !_tickets.TryRemove(token, out var ticket) || ticket.Expires <= time.GetUtcNow())
        {
            return false;
        }

        userId = ticket.UserId;
        remember = ticket.Remember;
        return true;
    }
}
