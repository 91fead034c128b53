using System.Net;
using System.Security.Claims;
using System.Text.Json;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;
using IoTix.Web.Audit;
using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Web.Accounts;

/// <summary>Password change, an administrator's reset to a temporary password, and the forced change, on a real PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PasswordTests(PostgresFixture postgres)
{
    private const string Email = "operator@password.test";
    private const string Original = "operator-password-1";

    private static Task<HttpResponseMessage> LoginAsync(AccountsHost host, string email, string password) =>
        host.Factory.CreateAnonymousClient().PostJsonAsync("/api/v1/auth/login", JsonSerializer.Serialize(new { email, password }));

    private static async Task<string> CreateOperatorAsync(AccountsHost host)
    {
        using var admin = host.Factory.CreateClient();
        using var created = await admin.PostJsonAsync("/api/v1/users", JsonSerializer.Serialize(new { email = Email, password = Original, role = TenantRoles.Operator }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.JsonAsync()).GetProperty("id").GetString()!;
    }

    private static async Task<PasswordChangeResult> ChangeAsync(AccountsHost host, string userId, string current, string next)
    {
        await using var scope = host.Factory.Services.CreateAsyncScope();
        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(AccountClaims.Subject, userId)], "test"));
        return await scope.ServiceProvider.GetRequiredService<AccountPasswords>().ChangeAsync(principal, current, next, "192.0.2.7");
    }

    private static async Task<IoTixUser> UserAsync(AccountsHost host, string userId)
    {
        await using var scope = host.Factory.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<UserManager<IoTixUser>>().FindByIdAsync(userId))!;
    }

    [Fact]
    public async Task A_wrong_current_password_is_refused_audited_and_counted_toward_lockout_and_the_right_one_changes_it()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        var id = await CreateOperatorAsync(host);

        var wrong = await ChangeAsync(host, id, "not-the-password", "operator-password-2");
        var failedCount = (await UserAsync(host, id)).AccessFailedCount;
        var right = await ChangeAsync(host, id, Original, "operator-password-2");
        using var withOld = await LoginAsync(host, Email, Original);
        using var withNew = await LoginAsync(host, Email, "operator-password-2");
        var entries = await host.Factory.Services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery(Action: AccountPasswords.ChangeAction));

        Assert.Equal("wrong current password", wrong.Error);
        Assert.Equal(1, failedCount);
        Assert.True(right.Succeeded, right.Error);
        Assert.Equal(HttpStatusCode.Unauthorized, withOld.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withNew.StatusCode);
        Assert.Equal([AuditOutcomes.Success, AuditOutcomes.Failed], entries.Select(e => e.Outcome).ToArray());
        Assert.All(entries, e => Assert.Equal("192.0.2.7", e.RemoteIp));
    }

    [Fact]
    public async Task A_new_password_that_breaks_the_rules_is_refused_with_identitys_words()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        var id = await CreateOperatorAsync(host);

        var result = await ChangeAsync(host, id, Original, "short");

        Assert.False(result.Succeeded);
        Assert.Contains("at least 10 characters", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_admin_reset_gives_a_temporary_password_that_must_be_changed_before_a_token_is_issued()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        var id = await CreateOperatorAsync(host);
        using var admin = host.Factory.CreateClient();

        using var reset = await admin.PostAsync($"/api/v1/users/{id}/reset-password", null);
        var temporary = (await reset.JsonAsync()).GetProperty("temporaryPassword").GetString()!;
        using var withTemporary = await LoginAsync(host, Email, temporary);
        var flagged = (await UserAsync(host, id)).MustChangePassword;
        var changed = await ChangeAsync(host, id, temporary, "operator-password-3");
        using var afterChange = await LoginAsync(host, Email, "operator-password-3");

        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.True(temporary.Length >= 20);
        var problem = await withTemporary.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.True(problem.GetProperty("passwordChangeRequired").GetBoolean());
        Assert.True(flagged);
        Assert.True(changed.Succeeded, changed.Error);
        Assert.False((await UserAsync(host, id)).MustChangePassword);
        Assert.Equal(HttpStatusCode.OK, afterChange.StatusCode);
        var entry = Assert.Single(await host.Factory.Services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery(Action: AccountPasswords.ResetAction)));
        Assert.Equal((AuditOutcomes.Success, Email), (entry.Outcome, entry.Target));
    }

    [Fact]
    public async Task A_reset_of_another_tenants_user_answers_404_and_an_admin_cannot_reset_an_owner()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        string ownerId;
        await using (var scope = host.Factory.Services.CreateAsyncScope())
        {
            ownerId = (await scope.ServiceProvider.GetRequiredService<UserManager<IoTixUser>>().FindByEmailAsync(IoTixWebFactory.AdminEmail))!.Id;
        }

        using var otherTenant = await host.Factory.CreateClientForAsync(TenantRoles.Owner, "acme");
        using var defaultAdmin = await host.Factory.CreateClientForAsync(TenantRoles.Admin);

        using var crossTenant = await otherTenant.PostAsync($"/api/v1/users/{ownerId}/reset-password", null);
        using var aboveOwnRole = await defaultAdmin.PostAsync($"/api/v1/users/{ownerId}/reset-password", null);

        await crossTenant.AssertProblemAsync(HttpStatusCode.NotFound);
        var problem = await aboveOwnRole.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("above your own role", problem.GetRawText(), StringComparison.Ordinal);
        using var stillWorks = await LoginAsync(host, IoTixWebFactory.AdminEmail, IoTixWebFactory.AdminPassword);
        Assert.Equal(HttpStatusCode.OK, stillWorks.StatusCode);
    }
}
