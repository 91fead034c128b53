using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Accounts;

/// <summary>
/// Authenticates an API key from <c>X-Api-Key: KEY</c> or <c>Authorization: ApiKey KEY</c>: the caller acts for the
/// key's tenant with the key's role.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyService keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";
    public const string AuthorizationPrefix = "ApiKey ";

    /// <summary>True when the request carries an API key (the policy scheme forwards it here).</summary>
    public static bool Carries(HttpRequest request) =>
        request.Headers.ContainsKey(HeaderName)
        || request.Headers.Authorization.ToString().StartsWith(AuthorizationPrefix, StringComparison.OrdinalIgnoreCase);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = Request.Headers[HeaderName].ToString();
        if (key.Length == 0)
        {
            var authorization = Request.Headers.Authorization.ToString();
            if (!authorization.StartsWith(AuthorizationPrefix, StringComparison.OrdinalIgnoreCase))
            {
                return AuthenticateResult.NoResult();
            }

            key = authorization[AuthorizationPrefix.Length..].Trim();
        }

        var record = await keys.FindValidAsync(key, Context.RequestAborted).ConfigureAwait(false);
        if (record is null)
        {
            return AuthenticateResult.Fail("unknown, revoked or expired API key");
        }

        var claims = AccountClaims.For($"key:{record.Id}", $"apikey:{record.Name}", record.TenantId, record.Role, record.PlatformAdmin, "apikey");
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "ApiKey";
        return Task.CompletedTask;
    }
}
