using System.Text;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Accounts;

/// <summary>Sign-in rules of the console and the API (section <c>IoTix:Accounts</c>).</summary>
public sealed class AccountsOptions
{
    public const string SectionName = "IoTix:Accounts";

    /// <summary>Shortest password accepted for a new or changed password (<c>IoTix:Accounts:PasswordMinLength</c>).</summary>
    public int PasswordMinLength { get; set; } = 10;

    /// <summary>Failed sign-ins in a row that lock an account (<c>IoTix:Accounts:MaxFailedSignIns</c>).</summary>
    public int MaxFailedSignIns { get; set; } = 5;

    /// <summary>How long a locked account stays locked (<c>IoTix:Accounts:LockoutMinutes</c>).</summary>
    public int LockoutMinutes { get; set; } = 15;

    /// <summary>Lifetime of a console sign-in cookie, sliding (<c>IoTix:Accounts:CookieHours</c>).</summary>
    public int CookieHours { get; set; } = 8;

    /// <summary>
    /// How soon a role change, lock, password change or reset, or user deletion reaches existing console cookies and
    /// open console circuits (<c>IoTix:Accounts:RevalidationMinutes</c>, fractions allowed): each is checked against
    /// the user's security stamp at most this often.
    /// </summary>
    public double RevalidationMinutes { get; set; } = 1;
}

/// <summary>The administrator created at first start (section <c>IoTix:Admin</c>, env <c>IoTix__Admin__Email</c> ...).</summary>
public sealed class AdminOptions
{
    public const string SectionName = "IoTix:Admin";

    /// <summary>The seed README's development credentials; the password works only when the host runs in Development.</summary>
    public const string DevelopmentEmail = "admin@iotix.local";

    public const string DevelopmentPassword = "admin";

    /// <summary>E-mail (and user name) of the first administrator (<c>IoTix:Admin:Email</c>).</summary>
    public string Email { get; set; } = DevelopmentEmail;

    /// <summary>
    /// Password of the first administrator (<c>IoTix:Admin:Password</c>); empty: <c>admin</c> in Development, else a
    /// generated one printed once to the log.
    /// </summary>
    public string? Password { get; set; }

    /// <summary>
    /// An API key (at least 32 characters) granted to the first administrator, for automation and CI
    /// (<c>IoTix:Admin:ApiKey</c>); stored hashed at start, usable with <c>X-Api-Key</c>. Empty: none.
    /// </summary>
    public string? ApiKey { get; set; }
}

/// <summary>Bearer tokens of <c>POST /api/v1/auth/login</c> (section <c>IoTix:Jwt</c>; the secret also from env <c>JWT_SECRET</c>).</summary>
public sealed class JwtOptions
{
    public const string SectionName = "IoTix:Jwt";

    public const string SecretEnvironmentVariable = "JWT_SECRET";

    public const int MinSecretBytes = 32;

    /// <summary>HMAC-SHA256 signing secret, at least 32 bytes (UTF-8); required outside Development (<c>JWT_SECRET</c>, <c>IoTix:Jwt:Secret</c>).</summary>
    public string? Secret { get; set; }

    /// <summary>Lifetime of a token (<c>IoTix:Jwt:ExpirySeconds</c>, default 15 minutes).</summary>
    public int ExpirySeconds { get; set; } = 900;

    /// <summary>Issuer and audience of the tokens (<c>IoTix:Jwt:Issuer</c>).</summary>
    public string Issuer { get; set; } = "iotix";

    /// <summary>True when no secret was configured in Development and a random one was made for this process.</summary>
    internal bool SecretGenerated { get; set; }
}

internal sealed class AccountsOptionsValidator : IValidateOptions<AccountsOptions>
{
    public ValidateOptionsResult Validate(string? name, AccountsOptions options)
    {
        var failures = new List<string>();
        if (options.PasswordMinLength is < 8 or > 128)
        {
            failures.Add($"{AccountsOptions.SectionName}:PasswordMinLength must be between 8 and 128 (was {options.PasswordMinLength})");
        }

        if (options.MaxFailedSignIns is < 1 or > 100)
        {
            failures.Add($"{AccountsOptions.SectionName}:MaxFailedSignIns must be between 1 and 100 (was {options.MaxFailedSignIns})");
        }

        if (options.LockoutMinutes is < 1 or > 10_080)
        {
            failures.Add($"{AccountsOptions.SectionName}:LockoutMinutes must be between 1 and 10080 (was {options.LockoutMinutes})");
        }

        if (options.CookieHours is < 1 or > 720)
        {
            failures.Add($"{AccountsOptions.SectionName}:CookieHours must be between 1 and 720 (was {options.CookieHours})");
        }

        if (!(options.RevalidationMinutes is >= 0.001 and <= 1440))
        {
            failures.Add($"{AccountsOptions.SectionName}:RevalidationMinutes must be between 0.001 and 1440 (was {options.RevalidationMinutes})");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}

internal sealed class AdminOptionsValidator : IValidateOptions<AdminOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Email) || !options.Email.Contains('@', StringComparison.Ordinal))
        {
            failures.Add($"{AdminOptions.SectionName}:Email must be an e-mail address (was '{options.Email}')");
        }

        if (options.ApiKey is { Length: > 0 } key && key.Length < 32)
        {
            failures.Add($"{AdminOptions.SectionName}:ApiKey must be at least 32 characters (was {key.Length})");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}

internal sealed class JwtOptionsValidator(IHostEnvironment environment) : IValidateOptions<JwtOptions>
{
    public ValidateOptionsResult Validate(string? name, JwtOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrEmpty(options.Secret))
        {
            failures.Add($"{JwtOptions.SecretEnvironmentVariable} (or {JwtOptions.SectionName}:Secret) is required outside Development (environment '{environment.EnvironmentName}'): set a random secret of at least {JwtOptions.MinSecretBytes} bytes, e.g. `openssl rand -base64 48`");
        }
        else if (Encoding.UTF8.GetByteCount(options.Secret) < JwtOptions.MinSecretBytes)
        {
            failures.Add($"{JwtOptions.SecretEnvironmentVariable} (or {JwtOptions.SectionName}:Secret) must be at least {JwtOptions.MinSecretBytes} bytes (was {Encoding.UTF8.GetByteCount(options.Secret)}); e.g. `openssl rand -base64 48`");
        }

        if (options.ExpirySeconds is < 1 or > 86_400)
        {
            failures.Add($"{JwtOptions.SectionName}:ExpirySeconds must be between 1 and 86400 (was {options.ExpirySeconds})");
        }

        if (string.IsNullOrWhiteSpace(options.Issuer))
        {
            failures.Add($"{JwtOptions.SectionName}:Issuer must not be empty");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
