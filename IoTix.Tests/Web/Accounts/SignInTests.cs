using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using Microsoft.AspNetCore.Hosting;

namespace IoTix.Tests.Web.Accounts;

/// <summary>Sign-in on a real PostgreSQL: bearer tokens, wrong passwords, lockout, token expiry, start-up rules.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SignInTests(PostgresFixture postgres)
{
    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, string email, string password) =>
        client.PostJsonAsync("/api/v1/auth/login", JsonSerializer.Serialize(new { email, password }));

    [Fact]
    public async Task Login_with_the_administrators_password_returns_a_bearer_token_that_opens_the_api()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        using var anonymous = host.Factory.CreateAnonymousClient();

        using var login = await LoginAsync(anonymous, IoTixWebFactory.AdminEmail, IoTixWebFactory.AdminPassword);
        var body = await login.JsonAsync();
        using var bearer = host.CreateBearerClient(body.GetProperty("token").GetString()!);
        var me = await bearer.GetJsonAsync("/api/v1/auth/me");

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal("Bearer", body.GetProperty("tokenType").GetString());
        Assert.Equal(900, body.GetProperty("expiresIn").GetInt32());
        Assert.Equal("jwt", me.GetProperty("method").GetString());
        Assert.Equal("Owner", me.GetProperty("role").GetString());
        Assert.Equal("default", me.GetProperty("tenantId").GetString());
        Assert.True(me.GetProperty("platformAdmin").GetBoolean());
    }

    [Fact]
    public async Task Requests_without_credentials_answer_401_problem_details()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        using var anonymous = host.Factory.CreateAnonymousClient();

        using var response = await anonymous.GetAsync("/api/v1/groups");

        var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("auth/login", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_answers_401_and_is_audited_as_a_failed_sign_in()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        using var anonymous = host.Factory.CreateAnonymousClient();

        using var login = await LoginAsync(anonymous, IoTixWebFactory.AdminEmail, "not-the-password");
        var audit = await host.Factory.CreateClient().GetJsonAsync("/api/v1/audit?action=auth.login&outcome=failed");

        await login.AssertProblemAsync(HttpStatusCode.Unauthorized);
        var entry = Assert.Single(audit.EnumerateArray());
        Assert.Equal(IoTixWebFactory.AdminEmail, entry.GetProperty("actor").GetString());
        Assert.Equal("wrong password", entry.GetProperty("details").GetString());
    }

    [Fact]
    public async Task After_MaxFailedSignIns_failures_even_the_right_password_is_refused_with_423()
    {
        await using var host = await AccountsHost.StartAsync(postgres, new Dictionary<string, string?> { ["IoTix:Accounts:MaxFailedSignIns"] = "3" });
        using var anonymous = host.Factory.CreateAnonymousClient();

        var failures = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await LoginAsync(anonymous, IoTixWebFactory.AdminEmail, "wrong-password-" + i);
            failures.Add(wrong.StatusCode);
        }

        using var right = await LoginAsync(anonymous, IoTixWebFactory.AdminEmail, IoTixWebFactory.AdminPassword);

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, (HttpStatusCode)423], failures);
        var problem = await right.AssertProblemAsync((HttpStatusCode)423);
        Assert.Contains("locked", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bearer_token_stops_working_when_it_expires()
    {
        await using var host = await AccountsHost.StartAsync(postgres, new Dictionary<string, string?> { ["IoTix:Jwt:ExpirySeconds"] = "5" });
        using var anonymous = host.Factory.CreateAnonymousClient();
        using var login = await LoginAsync(anonymous, IoTixWebFactory.AdminEmail, IoTixWebFactory.AdminPassword);
        using var bearer = host.CreateBearerClient((await login.JsonAsync()).GetProperty("token").GetString()!);

        using var fresh = await bearer.GetAsync("/api/v1/groups");
        var expiredAfter = await PollUntilAsync(bearer, "/api/v1/groups", HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.True(expiredAfter >= TimeSpan.FromSeconds(1), $"the token was refused after {expiredAfter}");
    }

    [Theory]
    [InlineData("", "is required outside Development")]
    [InlineData("too-short-secret", "must be at least 32 bytes")]
    public async Task The_host_does_not_start_outside_Development_without_a_strong_JWT_SECRET(string secret, string message)
    {
        await using var factory = new IoTixWebFactory { Settings = { ["IoTix:Jwt:Secret"] = secret } };

        var failure = Record.Exception(() => factory.Server);

        Assert.NotNull(failure);
        Assert.Contains("JWT_SECRET", failure.ToString(), StringComparison.Ordinal);
        Assert.Contains(message, failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_Development_a_first_start_without_a_password_creates_the_seeds_admin_with_password_admin()
    {
        await using var factory = new IoTixWebFactory
        {
            Settings = { ["IoTix:Admin:Email"] = "admin@iotix.local", ["IoTix:Admin:Password"] = "", ["IoTix:Jwt:Secret"] = "" },
        };
        using var anonymous = factory.WithWebHostBuilder(static b => b.UseEnvironment("Development")).CreateClient();
        anonymous.DefaultRequestHeaders.Remove("X-Api-Key");

        using var login = await LoginAsync(anonymous, "admin@iotix.local", "admin");

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.False(string.IsNullOrEmpty((await login.JsonAsync()).GetProperty("token").GetString()));
    }

    private static async Task<TimeSpan> PollUntilAsync(HttpClient client, string url, HttpStatusCode status, TimeSpan timeout)
    {
        var started = DateTime.UtcNow;
        while (DateTime.UtcNow - started < timeout)
        {
            using var response = await client.GetAsync(url);
            if (response.StatusCode == status)
            {
                return DateTime.UtcNow - started;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{url} did not answer {(int)status} within {timeout}");
    }
}
