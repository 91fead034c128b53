using System.Security.Cryptography;
using IoTix.Web.Data;
using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Accounts;

/// <summary>
/// First start: makes sure the default tenant exists and, when no user exists, creates the administrator (Owner of the
/// default tenant and platform administrator) from <c>IoTix:Admin:Email</c>/<c>Password</c>; without a password,
/// <c>admin</c> in Development, else a generated one printed once to the log. Adds <c>IoTix:Admin:ApiKey</c> when set.
/// </summary>
internal sealed partial class AdminBootstrapService(
    IServiceScopeFactory scopes,
    IoTixDatabase database,
    ApiKeyService keys,
    IOptions<AdminOptions> admin,
    IOptions<JwtOptions> jwt,
    IHostEnvironment environment,
    TimeProvider time,
    ILogger<AdminBootstrapService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (jwt.Value.SecretGenerated)
        {
            LogGeneratedJwtSecret(logger, JwtOptions.SecretEnvironmentVariable);
        }

        if (!await database.TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
        {
            LogSkipped(logger);
            return;
        }

        using var system = TenantScope.EnterSystem();
        await using var scope = scopes.CreateAsyncScope();
        var context = scope.ServiceProvider.GetRequiredService<IoTixDbContext>();
        if (await context.Set<TenantRecord>().FindAsync([Tenants.Default], cancellationToken).ConfigureAwait(false) is null)
        {
            context.Add(new TenantRecord { Id = Tenants.Default, Name = "Default", CreatedAt = time.GetUtcNow().UtcDateTime });
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }

        var users = scope.ServiceProvider.GetRequiredService<UserManager<IoTixUser>>();
        var options = admin.Value;
        IoTixUser? administrator = null;
        if (!await users.Users.AnyAsync(cancellationToken).ConfigureAwait(false))
        {
            administrator = await CreateAdministratorAsync(users, options).ConfigureAwait(false);
        }

        if (options.ApiKey is { Length: > 0 } key)
        {
            administrator ??= await users.FindByEmailAsync(options.Email).ConfigureAwait(false);
            using var tenant = TenantScope.Enter(administrator?.TenantId ?? Tenants.Default);
            if (await keys.EnsureAsync("admin (IoTix:Admin:ApiKey)", key, administrator?.Role ?? TenantRoles.Owner, administrator?.IsPlatformAdmin ?? true, options.Email, cancellationToken).ConfigureAwait(false))
            {
                LogAdminKeyAdded(logger, AdminOptions.SectionName);
            }
        }
    }

    private async Task<IoTixUser> CreateAdministratorAsync(UserManager<IoTixUser> users, AdminOptions options)
    {
        var user = new IoTixUser
        {
            UserName = options.Email,
            Email = options.Email,
            EmailConfirmed = true,
            TenantId = Tenants.Default,
            Role = TenantRoles.Owner,
            IsPlatformAdmin = true,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        IdentityResult result;
        if (options.Password is { Length: > 0 } configured)
        {
            result = await users.CreateAsync(user, configured).ConfigureAwait(false);
            Check(result, $"{AdminOptions.SectionName}:Password does not meet the password rules");
            LogAdminCreated(logger, options.Email, "the configured password (IoTix:Admin:Password)");
            return user;
        }

        // The development password is shorter than the rules allow: it is set as a hash, and works only in Development.
        var password = environment.IsDevelopment() ? AdminOptions.DevelopmentPassword : Generate();
        user.PasswordHash = users.PasswordHasher.HashPassword(user, password);
        result = await users.CreateAsync(user).ConfigureAwait(false);
        Check(result, $"the administrator {options.Email} could not be created");
        if (environment.IsDevelopment())
        {
            LogAdminCreated(logger, options.Email, "the development password 'admin' (Development only)");
        }
        else
        {
            LogAdminGeneratedPassword(logger, options.Email, password);
        }

        return user;
    }

    private static void Check(IdentityResult result, string what)
    {
        if (!result.Succeeded)
        {
            var reasons = new List<string>();
            foreach (var error in result.Errors)
            {
                reasons.Add(error.Description);
            }

            throw new InvalidOperationException($"{what}: {string.Join(" ", reasons)}");
        }
    }

    private static string Generate() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "First start: administrator {Email} created with the generated password {Password} (shown once; change it after signing in, or set IoTix:Admin:Password before the first start)")]
    private static partial void LogAdminGeneratedPassword(ILogger logger, string email, string password);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "First start: administrator {Email} created with {Source}")]
    private static partial void LogAdminCreated(ILogger logger, string email, string source);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "The administrator API key of {Section}:ApiKey was added")]
    private static partial void LogAdminKeyAdded(ILogger logger, string section);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Warning, Message = "No {Variable} set: Development signs bearer tokens with a random secret of this process (tokens end with it)")]
    private static partial void LogGeneratedJwtSecret(ILogger logger, string variable);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Warning, Message = "The database is unavailable: the first-start administrator was not checked; nobody can sign in until it is back and the host restarts")]
    private static partial void LogSkipped(ILogger logger);
}
