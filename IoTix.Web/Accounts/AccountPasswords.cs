using System.Security.Claims;
using System.Security.Cryptography;
using IoTix.Web.Audit;
using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Accounts;

/// <summary>How a password change ended: the user on success, else the reason in words.</summary>
public sealed record PasswordChangeResult(IoTixUser? User, string? Error)
{
    public bool Succeeded => User is not null;
}

/// <summary>How a password reset ended: the one-time temporary password (shown once) on success, else the reason.</summary>
public sealed record PasswordResetResult(string? Email, string? TemporaryPassword, string? Error)
{
    public bool Succeeded => TemporaryPassword is not null;
}

/// <summary>
/// Passwords: the signed-in user's change (current and new, Identity's rules, a wrong current password counts toward
/// lockout), an administrator's reset of a user of the tenant to a one-time temporary password the user must change
/// at the next sign-in, and the command line's reset of a locked-out sole owner. Every outcome is audited
/// (<c>account.password.change</c>, <c>account.password.reset</c>); each change renews the security stamp, so other
/// sign-ins of the user end within <c>IoTix:Accounts:RevalidationMinutes</c>.
/// </summary>
public sealed class AccountPasswords(UserManager<IoTixUser> users, IAuditLog audit, IOptions<AccountsOptions> options)
{
    public const string ChangeAction = "account.password.change";

    public const string ResetAction = "account.password.reset";

    /// <summary>Changes the signed-in user's password and clears <see cref="IoTixUser.MustChangePassword"/>.</summary>
    public async Task<PasswordChangeResult> ChangeAsync(ClaimsPrincipal principal, string? currentPassword, string? newPassword, string? remoteIp, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var id = principal.FindFirst(AccountClaims.Subject)?.Value;
        var user = id is null || id.StartsWith("key:", StringComparison.Ordinal) ? null : await users.FindByIdAsync(id).ConfigureAwait(false);
        if (user is null)
        {
            return new PasswordChangeResult(null, "only a user signed in with a password can change it");
        }

        var error = string.IsNullOrEmpty(currentPassword) ? "enter your current password"
            : string.IsNullOrEmpty(newPassword) ? "enter a new password"
            : string.Equals(currentPassword, newPassword, StringComparison.Ordinal) ? "the new password must differ from the current one"
            : null;
        if (error is null && await users.IsLockedOutAsync(user).ConfigureAwait(false))
        {
            error = "this account is locked after repeated failed attempts; try again later";
        }

        if (error is null)
        {
            var changed = await users.ChangePasswordAsync(user, currentPassword!, newPassword!).ConfigureAwait(false);
            if (changed.Succeeded)
            {
                user.MustChangePassword = false;
                await users.UpdateAsync(user).ConfigureAwait(false);
                await users.ResetAccessFailedCountAsync(user).ConfigureAwait(false);
                await AuditAsync(user.TenantId, Name(user), ChangeAction, Name(user), AuditOutcomes.Success, null, remoteIp, cancellationToken).ConfigureAwait(false);
                return new PasswordChangeResult(user, null);
            }

            if (HasCode(changed, nameof(IdentityErrorDescriber.PasswordMismatch)))
            {
                await users.AccessFailedAsync(user).ConfigureAwait(false);
                error = await users.IsLockedOutAsync(user).ConfigureAwait(false) ? "wrong current password; the account is now locked" : "wrong current password";
            }
            else
            {
                error = string.Join(" ", changed.Errors.Select(e => e.Description));
            }
        }

        await AuditAsync(user.TenantId, Name(user), ChangeAction, Name(user), AuditOutcomes.Failed, error, remoteIp, cancellationToken).ConfigureAwait(false);
        return new PasswordChangeResult(null, error);
    }

    /// <summary>
    /// An administrator (users.manage) resets a user of the administrator's tenant whose role is at most the
    /// administrator's own: a one-time temporary password, to be changed at the next sign-in; the account is unlocked.
    /// Another tenant's user is "no such user".
    /// </summary>
    public async Task<PasswordResetResult> ResetAsync(ClaimsPrincipal caller, string userId, string? remoteIp, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var tenant = TenantClaims.TenantOf(caller) ?? Tenants.Default;
        var actor = AccountClaims.Actor(caller);
        var user = await users.FindByIdAsync(userId).ConfigureAwait(false);
        string? error = null;
        if (user is null || !string.Equals(user.TenantId, tenant, StringComparison.Ordinal))
        {
            user = null;
            error = "no such user";
        }
        else if (user.Id == caller.FindFirst(AccountClaims.Subject)?.Value)
        {
            error = "change your own password on the password page, not with a reset";
        }
        else if (TenantRoles.Rank(user.Role) > TenantRoles.Rank(caller.FindFirst(TenantClaims.Role)?.Value))
        {
            error = $"cannot reset the password of a {user.Role}, above your own role";
        }

        if (error is not null)
        {
            await AuditAsync(tenant, actor, ResetAction, user is null ? userId : Name(user), AuditOutcomes.Denied, error, remoteIp, cancellationToken).ConfigureAwait(false);
            return new PasswordResetResult(user?.Email, null, error);
        }

        return await ResetAsync(user!, actor, "by an administrator", remoteIp, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The command line's reset (<c>iotix users reset-password --email X</c>): any user, by the host's operator.</summary>
    public async Task<PasswordResetResult> ResetByEmailAsync(string email, string actor, CancellationToken cancellationToken = default)
    {
        var user = string.IsNullOrWhiteSpace(email) ? null : await users.FindByEmailAsync(email.Trim()).ConfigureAwait(false);
        if (user is null)
        {
            await AuditAsync(Tenants.Default, actor, ResetAction, email, AuditOutcomes.Failed, "no such user", null, cancellationToken).ConfigureAwait(false);
            return new PasswordResetResult(email, null, $"no user with the e-mail '{email}'");
        }

        return await ResetAsync(user, actor, "from the command line", null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A random password of at least 20 characters (and at least <c>IoTix:Accounts:PasswordMinLength</c>), letters and digits.</summary>
    public static string GeneratePassword(int minLength)
    {
        const string alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        return RandomNumberGenerator.GetString(alphabet, Math.Max(20, minLength));
    }

    private async Task<PasswordResetResult> ResetAsync(IoTixUser user, string actor, string how, string? remoteIp, CancellationToken cancellationToken)
    {
        var temporary = GeneratePassword(options.Value.PasswordMinLength);
        user.MustChangePassword = true;
        var token = await users.GeneratePasswordResetTokenAsync(user).ConfigureAwait(false);
        var reset = await users.ResetPasswordAsync(user, token, temporary).ConfigureAwait(false); // renews the security stamp
        if (!reset.Succeeded)
        {
            var error = string.Join(" ", reset.Errors.Select(e => e.Description));
            await AuditAsync(user.TenantId, actor, ResetAction, Name(user), AuditOutcomes.Failed, error, remoteIp, cancellationToken).ConfigureAwait(false);
            return new PasswordResetResult(user.Email, null, error);
        }

        await users.SetLockoutEndDateAsync(user, null).ConfigureAwait(false);
        await users.ResetAccessFailedCountAsync(user).ConfigureAwait(false);
        await AuditAsync(user.TenantId, actor, ResetAction, Name(user), AuditOutcomes.Success, $"temporary password {how}; must change it at the next sign-in", remoteIp, cancellationToken).ConfigureAwait(false);
        return new PasswordResetResult(user.Email, temporary, null);
    }

    private static bool HasCode(IdentityResult result, string code)
    {
        foreach (var error in result.Errors)
        {
            if (error.Code == code)
            {
                return true;
            }
        }

        return false;
    }

    private static string Name(IoTixUser user) => user.Email ?? user.UserName ?? user.Id;

    private Task AuditAsync(string tenantId, string actor, string action, string target, string outcome, string? details, string? remoteIp, CancellationToken cancellationToken) =>
        audit.WriteAsync(new AuditEntry(tenantId, actor, action, target, outcome, null, remoteIp, details), cancellationToken);
}
