using IoTix.Web.Audit;
using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace IoTix.Web.Accounts;

/// <summary>
/// Denied requests are audited, and under /api answered as problem details: 401 without credentials (or with bad ones),
/// 403 when the caller's role lacks the route's permission.
/// </summary>
internal sealed class AuditingAuthorizationResultHandler(IAuditLog audit) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(authorizeResult);
        if (authorizeResult.Succeeded)
        {
            await _default.HandleAsync(next, context, policy, authorizeResult).ConfigureAwait(false);
            return;
        }

        var permission = PermissionAuthorizationHandler.Declared(context) ?? context.GetEndpoint()?.Metadata.GetMetadata<IAuthorizeData>()?.Policy ?? "(none declared)";
        var user = context.User;
        var api = context.Request.Path.StartsWithSegments(Api.ApiEndpoints.Prefix, StringComparison.OrdinalIgnoreCase);
        if (api || user.Identity?.IsAuthenticated == true) // an anonymous visit to a console page is a redirect to sign in, not news
        {
            await audit.WriteAsync(new AuditEntry(
                TenantClaims.TenantOf(user) ?? Tenants.Default,
                AccountClaims.Actor(user),
                "access.denied",
                $"{context.Request.Method} {context.Request.Path}",
                AuditOutcomes.Denied,
                authorizeResult.Forbidden ? StatusCodes.Status403Forbidden : StatusCodes.Status401Unauthorized,
                context.Connection.RemoteIpAddress?.ToString(),
                PermissionMatrix.MustChangePassword(user) ? $"requires {permission}; a temporary password must be changed first" : $"requires {permission}")).ConfigureAwait(false);
        }

        if (!api)
        {
            await _default.HandleAsync(next, context, policy, authorizeResult).ConfigureAwait(false);
            return;
        }

        if (authorizeResult.Forbidden)
        {
            var detail = PermissionMatrix.MustChangePassword(user)
                ? "your password is a temporary one: change it first (console /account/password); until then nothing else is allowed"
                : $"your role does not hold {permission}";
            await Results.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        context.Response.Headers.WWWAuthenticate = "Bearer, ApiKey";
        await Results.Problem("sign in: send Authorization: Bearer TOKEN (POST /api/v1/auth/login) or an API key (X-Api-Key)", statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized").ExecuteAsync(context).ConfigureAwait(false);
    }
}
