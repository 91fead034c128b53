using System.Security.Claims;
using System.Security.Cryptography;
using IoTix.Web.Audit;
using IoTix.Web.Data;
using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Accounts;

public static class AccountsServiceCollectionExtensions
{
    /// <summary>The one authentication scheme: forwards to the API key, JWT bearer or cookie handler by what the request carries.</summary>
    public const string Scheme = "IoTix";

    /// <summary>
    /// Registers accounts, tenants and audit: ASP.NET Core Identity on the IoTix database (password rules, lockout),
    /// the console cookie, JWT bearer tokens (<c>IoTix:Jwt</c>, <c>JWT_SECRET</c>), API keys, the permission policies,
    /// the caller's tenant (<see cref="ITenantContext"/>), the audit log and the first-start administrator.
    /// </summary>
    public static IServiceCollection AddIoTixAccounts(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<AccountsOptions>().Bind(configuration.GetSection(AccountsOptions.SectionName)).ValidateOnStart();
        services.AddOptions<AdminOptions>().Bind(configuration.GetSection(AdminOptions.SectionName)).ValidateOnStart();
        services.AddOptions<TenancyOptions>().Bind(configuration.GetSection(TenancyOptions.SectionName)).ValidateOnStart();
        services.AddOptions<AuditOptions>().Bind(configuration.GetSection(AuditOptions.SectionName)).ValidateOnStart();
        services.AddOptions<JwtOptions>()
            .Bind(configuration.GetSection(JwtOptions.SectionName))
            .PostConfigure<IHostEnvironment>((options, environment) =>
            {
                if (string.IsNullOrEmpty(options.Secret) && configuration[JwtOptions.SecretEnvironmentVariable] is { Length: > 0 } secret)
                {
                    options.Secret = secret;
                }

                if (string.IsNullOrEmpty(options.Secret) && environment.IsDevelopment())
                {
                    options.Secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
                    options.SecretGenerated = true;
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AccountsOptions>, AccountsOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AdminOptions>, AdminOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JwtOptions>, JwtOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TenancyOptions>, TenancyOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuditOptions>, AuditOptionsValidator>());

        services.AddHttpContextAccessor();
        services.TryAddSingleton(TimeProvider.System);
        services.AddIdentityCore<IoTixUser>()
            .AddEntityFrameworkStores<IoTixDbContext>()
            .AddDefaultTokenProviders();
        services.AddOptions<IdentityOptions>().Configure<IOptions<AccountsOptions>>(static (identity, accounts) =>
        {
            var a = accounts.Value;
            identity.Password.RequiredLength = a.PasswordMinLength;
            identity.Password.RequireDigit = false;
            identity.Password.RequireLowercase = false;
            identity.Password.RequireUppercase = false;
            identity.Password.RequireNonAlphanumeric = false;
            identity.Password.RequiredUniqueChars = 4;
            identity.Lockout.AllowedForNewUsers = true;
            identity.Lockout.MaxFailedAccessAttempts = a.MaxFailedSignIns;
            identity.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(a.LockoutMinutes);
            identity.User.RequireUniqueEmail = true;
        });

        services.AddAuthentication(static options =>
            {
                options.DefaultScheme = Scheme;
                options.DefaultChallengeScheme = Scheme;
            })
            .AddPolicyScheme(Scheme, "IoTix (cookie, bearer token or API key)", static options =>
                options.ForwardDefaultSelector = static context =>
                    ApiKeyAuthenticationHandler.Carries(context.Request) ? ApiKeyAuthenticationHandler.SchemeName
                    : context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? JwtBearerDefaults.AuthenticationScheme
                    : IdentityConstants.ApplicationScheme)
            .AddCookie(IdentityConstants.ApplicationScheme, static options =>
            {
                options.Cookie.Name = ".IoTix.Auth";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.LoginPath = "/account/login";
                options.LogoutPath = "/account/logout";
                options.AccessDeniedPath = "/account/denied";
                options.SlidingExpiration = true;
                options.Events.OnRedirectToLogin = static context => Status(context, StatusCodes.Status401Unauthorized);
                options.Events.OnRedirectToAccessDenied = static context => AccessDenied(context);
                options.Events.OnValidatePrincipal = static context => context.HttpContext.RequestServices.GetRequiredService<AccountRevalidation>().ValidateCookieAsync(context);
            })
            .AddJwtBearer()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddOptions<CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme)
            .Configure<IOptions<AccountsOptions>>(static (cookie, accounts) => cookie.ExpireTimeSpan = TimeSpan.FromHours(accounts.Value.CookieHours));
        services.AddOptions<SecurityStampValidatorOptions>()
            .Configure<IOptions<AccountsOptions>>(static (stamps, accounts) => stamps.ValidationInterval = TimeSpan.FromMinutes(accounts.Value.RevalidationMinutes));
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<JwtOptions>>(static (bearer, jwt) =>
            {
                bearer.MapInboundClaims = false;
                bearer.TokenValidationParameters = JwtTokenIssuer.ValidationParameters(jwt.Value);
            });

        services.AddAuthorization(static options =>
        {
            options.AddPolicy(PermissionEndpointExtensions.ApiPolicy, static policy => policy.RequireAuthenticatedUser().AddRequirements(new PermissionRequirement(null)));
            foreach (var permission in Permissions.All)
            {
                options.AddPolicy(permission, policy => policy.RequireAuthenticatedUser().AddRequirements(new PermissionRequirement(permission)));
            }
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, PermissionAuthorizationHandler>());
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AuditingAuthorizationResultHandler>();
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, RevalidatingAccountStateProvider>(); // replaces the server default of AddRazorComponents (the last registration wins)
        services.TryAddScoped<ConsoleConnection>();
        services.TryAddEnumerable(ServiceDescriptor.Scoped<CircuitHandler, ConsoleConnectionCircuitHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<CircuitHandler, TenantCircuitHandler>());

        services.RemoveAll<ITenantContext>();
        services.AddScoped<ITenantContext, PrincipalTenantContext>();
        services.TryAddSingleton<TenantDirectory>();
        services.TryAddSingleton<ApiKeyService>();
        services.TryAddSingleton<JwtTokenIssuer>();
        services.TryAddSingleton<SignInTickets>();
        services.TryAddSingleton<AccountRevalidation>();
        services.TryAddScoped<AccountPasswords>();
        services.TryAddScoped<TenantAdministration>();
        services.TryAddScoped<AccountSignIn>();
        services.TryAddScoped<TwoFactorSetup>();
        services.TryAddScoped<TenantUsers>();
        services.TryAddSingleton<IAuditLog, EfAuditLog>();
        services.TryAddScoped<ConsoleAudit>();
        services.AddHostedService<AdminBootstrapService>();
        services.AddHostedService<AuditRetentionService>();
        return services;
    }

    /// <summary>
    /// Authentication, the ambient tenant of each request (<see cref="TenantScope"/>) and authorization; then the
    /// console's sign-in completion and sign-out endpoints under /account.
    /// </summary>
    public static WebApplication UseIoTixAccounts(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseAuthentication();
        app.Use(static async (context, next) =>
        {
            if (context.User.Identity?.IsAuthenticated == true && TenantClaims.TenantOf(context.User) is { } tenant)
            {
                using var scope = TenantScope.Enter(tenant);
                await next(context).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });
        app.UseAuthorization();

        var account = app.MapGroup("/account").ExcludeFromDescription();
        account.MapGet("/complete-signin", CompleteSignInAsync).AllowAnonymous();
        account.MapGet("/logout", SignOutAsync).AllowAnonymous();
        return app;
    }

    private static async Task<IResult> CompleteSignInAsync(HttpContext http, SignInTickets tickets, UserManager<IoTixUser> users, string? ticket, string? returnUrl)
    {
        if (!tickets.TryRedeem(ticket, out var userId, out var remember) || await users.FindByIdAsync(userId).ConfigureAwait(false) is not { } user)
        {
            return Results.Redirect("/account/login?error=expired");
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(AccountClaims.For(user, AccountClaims.CookieMethod), IdentityConstants.ApplicationScheme));
        await http.SignInAsync(IdentityConstants.ApplicationScheme, principal, new AuthenticationProperties { IsPersistent = remember }).ConfigureAwait(false);
        return Results.LocalRedirect(IsLocal(returnUrl) ? returnUrl! : "/");
    }

    private static async Task<IResult> SignOutAsync(HttpContext http, IAuditLog audit)
    {
        if (http.User.Identity?.IsAuthenticated == true)
        {
            await audit.WriteAsync(new AuditEntry(TenantClaims.TenantOf(http.User) ?? Tenants.Default, AccountClaims.Actor(http.User), "auth.signout", AccountClaims.Actor(http.User), AuditOutcomes.Success, null, http.Connection.RemoteIpAddress?.ToString())).ConfigureAwait(false);
        }

        await http.SignOutAsync(IdentityConstants.ApplicationScheme).ConfigureAwait(false);
        return Results.Redirect("/account/login");
    }

    /// <summary>A path of this site (not //host or a scheme), so a sign-in never redirects elsewhere.</summary>
    internal static bool IsLocal(string? url) =>
        url is { Length: > 0 } && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'));

    /// <summary>A console page refused to a sign-in on a temporary password leads to the password page, not "access denied".</summary>
    private static Task AccessDenied(RedirectContext<CookieAuthenticationOptions> context)
    {
        if (PermissionMatrix.MustChangePassword(context.HttpContext.User) && !IsApiOrHub(context.Request.Path))
        {
            context.Response.Redirect("/account/password");
            return Task.CompletedTask;
        }

        return Status(context, StatusCodes.Status403Forbidden);
    }

    private static bool IsApiOrHub(PathString path) =>
        path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/hubs", StringComparison.OrdinalIgnoreCase);

    private static Task Status(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (IsApiOrHub(context.Request.Path))
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        }

        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }
}
