using IoTix.Web.Api;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Accounts;

/// <summary>Body of <c>POST /api/v1/auth/login</c>.</summary>
public sealed class LoginRequest
{
    public string? Email { get; set; }

    public string? Password { get; set; }

    /// <summary>The 6-digit authenticator code (RFC 6238); required when the user has two-factor on.</summary>
    public string? Totp { get; set; }

    /// <summary>A one-time two-factor recovery code, instead of <see cref="Totp"/> (each code works once).</summary>
    public string? RecoveryCode { get; set; }
}

/// <summary>A bearer token: send it as <c>Authorization: Bearer TOKEN</c>.</summary>
public sealed record LoginResponse(string Token, string TokenType, DateTimeOffset ExpiresAt, int ExpiresIn, string TenantId, string Role);

/// <summary>Who the caller is: tenant, role and the permissions it holds.</summary>
public sealed record WhoAmIResponse(string Name, string TenantId, string Role, bool PlatformAdmin, string Method, IReadOnlyList<string> Permissions);

/// <summary><c>/api/v1/auth</c>: bearer tokens for an e-mail and password, and the caller's identity.</summary>
internal static class AuthEndpoints
{
    public static void MapAuth(this RouteGroupBuilder api)
    {
        var auth = api.MapGroup("/auth").WithTags("Auth");
        auth.MapPost("/login", Login)
            .AllowAnonymous()
            .WithSummary("Exchange an e-mail and password for a short-lived bearer token (IoTix:Jwt:ExpirySeconds)")
            .Accepts<LoginRequest>("application/json")
            .Produces<LoginResponse>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status423Locked);
        auth.MapGet("/me", Me)
            .RequirePermission(Permissions.Authenticated)
            .WithSummary("The caller: tenant, role, permissions")
            .Produces<WhoAmIResponse>();
    }

    private static async Task<IResult> Login(HttpContext http, AccountSignIn signIn, JwtTokenIssuer issuer, IOptions<JwtOptions> jwt, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<LoginRequest>(http.Request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var attempt = new SignInAttempt(body!.Email, body.Password, "auth.login", http.Connection.RemoteIpAddress?.ToString()) { Totp = body.Totp, RecoveryCode = body.RecoveryCode };
        var check = await signIn.CheckAsync(attempt, cancellationToken).ConfigureAwait(false);
        if (check.Outcome != SignInOutcome.Succeeded)
        {
            var status = check.Outcome == SignInOutcome.LockedOut ? StatusCodes.Status423Locked : StatusCodes.Status401Unauthorized;
            var twoFactor = check.Outcome is SignInOutcome.TwoFactorRequired or SignInOutcome.TwoFactorFailed or SignInOutcome.RecoveryCodeFailed;
            return Results.Problem(
                check.Message,
                statusCode: status,
                title: status == StatusCodes.Status423Locked ? "Locked" : "Unauthorized",
                extensions: twoFactor ? new Dictionary<string, object?> { ["field"] = check.Outcome == SignInOutcome.RecoveryCodeFailed ? "recoveryCode" : "totp", ["totpRequired"] = true } : null);
        }

        var user = check.User!;
        if (user.MustChangePassword)
        {
            return Results.Problem(
                "this account has a temporary password: change it in the console (/account/password) before asking for a token",
                statusCode: StatusCodes.Status403Forbidden,
                title: "Password change required",
                extensions: new Dictionary<string, object?> { ["passwordChangeRequired"] = true });
        }

        var token = issuer.Issue(user);
        return Results.Ok(new LoginResponse(token.Token, "Bearer", token.ExpiresAt, jwt.Value.ExpirySeconds, user.TenantId, user.Role));
    }

    private static IResult Me(HttpContext http)
    {
        var user = http.User;
        var granted = new List<string>();
        foreach (var permission in Permissions.All)
        {
            if (PermissionMatrix.Allows(user, permission))
            {
                granted.Add(permission);
            }
        }

        return Results.Ok(new WhoAmIResponse(
            AccountClaims.Actor(user),
            TenantClaims.TenantOf(user) ?? Tenants.Default,
            user.FindFirst(TenantClaims.Role)?.Value ?? "",
            PermissionMatrix.IsPlatformAdmin(user),
            user.FindFirst(AccountClaims.Method)?.Value ?? "",
            granted));
    }
}
