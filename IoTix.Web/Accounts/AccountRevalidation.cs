using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Accounts;

/// <summary>
/// Keeps console sign-ins current: at most every <c>IoTix:Accounts:RevalidationMinutes</c>
/// (<see cref="SecurityStampValidatorOptions.ValidationInterval"/>) a console cookie and an open console circuit are
/// checked against the user's record. A deleted or locked-out user, or a changed security stamp (role change, lock,
/// password change or reset), ends the sign-in; otherwise the claims are rebuilt from the record. API keys are checked
/// on every request and bearer tokens expire on their own, so they pass unchanged.
/// </summary>
public sealed partial class AccountRevalidation(IServiceScopeFactory scopes, TimeProvider time, IOptions<SecurityStampValidatorOptions> stamps, ILogger<AccountRevalidation> logger)
{
    /// <summary>How often a sign-in is checked.</summary>
    public TimeSpan Interval => stamps.Value.ValidationInterval;

    /// <summary>The principal rebuilt from the user's record when <paramref name="principal"/> still stands; null when it must end.</summary>
    public async Task<ClaimsPrincipal?> RevalidateAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(principal);
        if (principal.FindFirst(AccountClaims.Method)?.Value != AccountClaims.CookieMethod || principal.FindFirst(AccountClaims.Subject)?.Value is not { } id)
        {
            return principal;
        }

        cancellationToken.ThrowIfCancellationRequested();
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IoTixUser>>();
        var user = await users.FindByIdAsync(id).ConfigureAwait(false);
        var reason = user is null ? "user deleted"
            : await users.IsLockedOutAsync(user).ConfigureAwait(false) ? "locked out"
            : !string.Equals(user.SecurityStamp, principal.FindFirst(AccountClaims.SecurityStamp)?.Value, StringComparison.Ordinal) ? "security stamp changed (role, lock or password)"
            : null;
        if (reason is not null)
        {
            LogSignInEnded(logger, AccountClaims.Actor(principal), reason);
            return null;
        }

        return new ClaimsPrincipal(new ClaimsIdentity(AccountClaims.For(user!, AccountClaims.CookieMethod), principal.Identity?.AuthenticationType ?? IdentityConstants.ApplicationScheme));
    }

    /// <summary>The console cookie's <c>OnValidatePrincipal</c>: once the interval has passed since it was issued, revalidate and renew or reject.</summary>
    internal async Task ValidateCookieAsync(CookieValidatePrincipalContext context)
    {
        if (context.Properties.IssuedUtc is { } issued && time.GetUtcNow() - issued < Interval)
        {
            return;
        }

        var current = context.Principal is { } principal ? await RevalidateAsync(principal, context.HttpContext.RequestAborted).ConfigureAwait(false) : null;
        if (current is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme).ConfigureAwait(false);
            return;
        }

        context.ReplacePrincipal(current);
        context.ShouldRenew = true;
    }

    [LoggerMessage(EventId = 7010, Level = LogLevel.Information, Message = "Console sign-in of {Actor} ended at revalidation: {Reason}")]
    private static partial void LogSignInEnded(ILogger logger, string actor, string reason);
}

/// <summary>The console circuit's authentication state, revalidated every <see cref="AccountRevalidation.Interval"/> (signed out when it no longer stands).</summary>
internal sealed class RevalidatingAccountStateProvider(ILoggerFactory loggerFactory, AccountRevalidation revalidation) : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => revalidation.Interval;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken) =>
        await revalidation.RevalidateAsync(authenticationState.User, cancellationToken).ConfigureAwait(false) is not null;
}
