using System.Net;
using System.Text.Json;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;
using IoTix.Web.Audit;
using IoTix.Web.Cli;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Web.Cli;

/// <summary><c>iotix users reset-password</c> on the database of a running host (SQLite), in process with captured output.</summary>
public sealed class UsersCommandTests : IAsyncLifetime
{
    private readonly IoTixWebFactory _host = new();

    public Task InitializeAsync()
    {
        _ = _host.Server; // the schema and the administrator exist
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<(int Exit, string Output, string Error)> ResetAsync(string email)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await IoTixCommandLine.InvokeAsync(
            ["users", "reset-password", "--email", email, "--environment=Testing", "--Broker:Enabled=false", $"--ConnectionStrings:IoTix=Data Source={Path.Combine(_host.DataFolder, "iotix.db")}"],
            output,
            error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Reset_password_prints_a_one_time_password_unlocks_the_account_and_requires_a_change()
    {
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IoTixUser>>();
            var admin = await users.FindByEmailAsync(IoTixWebFactory.AdminEmail);
            await users.SetLockoutEndDateAsync(admin!, DateTimeOffset.MaxValue);
        }

        var (exit, output, _) = await ResetAsync(IoTixWebFactory.AdminEmail);
        var temporary = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        using var login = await _host.CreateAnonymousClient().PostJsonAsync("/api/v1/auth/login", JsonSerializer.Serialize(new { email = IoTixWebFactory.AdminEmail, password = temporary }));

        Assert.Equal(0, exit);
        Assert.Contains("shown once", output, StringComparison.Ordinal);
        var problem = await login.AssertProblemAsync(HttpStatusCode.Forbidden); // right password, not locked: only the change is missing
        Assert.True(problem.GetProperty("passwordChangeRequired").GetBoolean());
        var entry = Assert.Single(await _host.Services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery(Action: AccountPasswords.ResetAction)));
        Assert.Equal((UsersCommand.Actor, AuditOutcomes.Success), (entry.Actor, entry.Outcome));
    }

    [Fact]
    public async Task Reset_password_of_an_unknown_email_exits_1_and_says_so()
    {
        var (exit, output, error) = await ResetAsync("nobody@iotix.test");

        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.True(error.Contains("no user with the e-mail", StringComparison.Ordinal), error);
        Assert.Contains("no user with the e-mail 'nobody@iotix.test'", error, StringComparison.Ordinal);
    }
}
