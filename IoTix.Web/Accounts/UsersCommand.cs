using System.CommandLine;
using IoTix.Web.Data;
using IoTix.Web.Hosting;

namespace IoTix.Web.Accounts;

/// <summary>
/// <c>iotix users reset-password --email X</c>: resets a user's password on the configured database without the web
/// console (a locked-out sole Owner), prints a generated one-time password once, unlocks the account and makes the user
/// change the password at the next sign-in. Extra arguments are host settings (e.g. <c>--Database:Provider=postgresql</c>).
/// </summary>
internal static class UsersCommand
{
    /// <summary>The audit log's actor of a command-line reset.</summary>
    public const string Actor = "cli:iotix users reset-password";

    public static Command Create()
    {
        var email = new Option<string>("--email") { Description = "E-mail of the user whose password is reset.", Required = true };
        var reset = new Command("reset-password", "Reset a user's password: prints a generated one-time password once; the user must change it at the next sign-in. Extra arguments are host settings, e.g. --ConnectionStrings:IoTix=...")
        {
            email,
        };
        reset.TreatUnmatchedTokensAsErrors = false;
        reset.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            // Only the database and the accounts: no web pipeline, broker or simulations (nothing is started).
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [.. parseResult.UnmatchedTokens], ContentRootPath = ContentRoot.Find() });
            builder.Services.AddIoTixData(builder.Configuration);
            builder.Services.AddIoTixAccounts(builder.Configuration);
            await using var app = builder.Build();
            if (!await app.Services.GetRequiredService<IoTixDatabase>().TryEnsureReadyAsync(cancellationToken).ConfigureAwait(false))
            {
                await error.WriteLineAsync("The IoTix database is unavailable: check Database:Provider and ConnectionStrings:IoTix.").ConfigureAwait(false);
                return 1;
            }

            await using var scope = app.Services.CreateAsyncScope();
            var result = await scope.ServiceProvider.GetRequiredService<AccountPasswords>().ResetByEmailAsync(parseResult.GetValue(email)!, Actor, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                await error.WriteLineAsync($"Not reset: {result.Error}").ConfigureAwait(false);
                return 1;
            }

            await output.WriteLineAsync($"Password of {result.Email} reset; the account is unlocked. Temporary password (shown once; it must be changed at the next sign-in):").ConfigureAwait(false);
            await output.WriteLineAsync(result.TemporaryPassword).ConfigureAwait(false);
            return 0;
        });
        return new Command("users", "Manage console users on the configured database.") { reset };
    }
}
