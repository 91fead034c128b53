using System.Net;
using System.Text.Json;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;
using IoTix.Web.Audit;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Web.Accounts;

/// <summary>Two-factor recovery codes on a real PostgreSQL: each signs in once, audited; new codes replace the old ones.</summary>
[Collection(PostgresCollection.Name)]
public sealed class RecoveryCodeTests(PostgresFixture postgres)
{
    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, string recoveryCode) =>
        client.PostJsonAsync("/api/v1/auth/login", JsonSerializer.Serialize(new { email = IoTixWebFactory.AdminEmail, password = IoTixWebFactory.AdminPassword, recoveryCode }));

    private static async Task<IReadOnlyList<string>> NewCodesAsync(AccountsHost host)
    {
        await using var scope = host.Factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<TwoFactorSetup>().RegenerateRecoveryCodesAsync(await TwoFactorTests.AdminAsync(scope));
    }

    private static async Task<TwoFactorStatus> StatusAsync(AccountsHost host)
    {
        await using var scope = host.Factory.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<TwoFactorSetup>().GetStatusAsync(await TwoFactorTests.AdminAsync(scope)))!;
    }

    [Fact]
    public async Task A_recovery_code_signs_in_once_and_is_refused_the_second_time_naming_the_field()
    {
        await using var host = await TwoFactorTests.StartWithTwoFactorAsync(postgres);
        var codes = await NewCodesAsync(host);
        using var anonymous = host.Factory.CreateAnonymousClient();

        using var first = await LoginAsync(anonymous, codes[0]);
        using var second = await LoginAsync(anonymous, codes[0]);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var problem = await second.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("recoveryCode", problem.GetProperty("field").GetString());
        Assert.Equal(TwoFactorSetup.RecoveryCodeCount - 1, (await StatusAsync(host)).RecoveryCodesLeft);
    }

    [Fact]
    public async Task Signing_in_with_a_recovery_code_is_audited_with_the_method_and_the_codes_left()
    {
        await using var host = await TwoFactorTests.StartWithTwoFactorAsync(postgres);
        var codes = await NewCodesAsync(host);

        using var login = await LoginAsync(host.Factory.CreateAnonymousClient(), codes[3]);
        using var wrong = await LoginAsync(host.Factory.CreateAnonymousClient(), "not-a-code");
        var entries = await host.Factory.Services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery(Action: "auth.login"));

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Contains(entries, e => e.Outcome == AuditOutcomes.Success && e.Details == $"method recovery code; {TwoFactorSetup.RecoveryCodeCount - 1} left");
        Assert.Contains(entries, e => e.Outcome == AuditOutcomes.Failed && e.Details == "wrong or used recovery code");
    }

    [Fact]
    public async Task New_recovery_codes_replace_the_old_ones()
    {
        await using var host = await TwoFactorTests.StartWithTwoFactorAsync(postgres);
        var old = await NewCodesAsync(host);

        var renewed = await NewCodesAsync(host);
        using var withOld = await LoginAsync(host.Factory.CreateAnonymousClient(), old[0]);
        using var withNew = await LoginAsync(host.Factory.CreateAnonymousClient(), renewed[0]);

        Assert.Equal(TwoFactorSetup.RecoveryCodeCount, renewed.Count);
        Assert.Equal(HttpStatusCode.Unauthorized, withOld.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withNew.StatusCode);
    }
}
