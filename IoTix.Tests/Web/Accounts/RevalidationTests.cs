using System.Net;
using System.Security.Claims;
using System.Text.Json;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IoTix.Tests.Web.Accounts;

/// <summary>
/// Role changes, locks and deletions reach existing console cookies and circuits within
/// <c>IoTix:Accounts:RevalidationMinutes</c> (SQLite hosts; the cookie's clock is a fake one where the interval matters).
/// </summary>
public sealed class RevalidationTests
{
    private const string Email = "operator@revalidation.test";
    private const string Password = "operator-password-1";

    private static async Task<IoTixUser> CreateOperatorAsync(IoTixWebFactory host)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var user = new IoTixUser { UserName = Email, Email = Email, Role = TenantRoles.Operator, CreatedAt = DateTime.UtcNow };
        var created = await scope.ServiceProvider.GetRequiredService<UserManager<IoTixUser>>().CreateAsync(user, Password);
        Assert.True(created.Succeeded);
        return user;
    }

    /// <summary>A client holding the console cookie of <paramref name="user"/> (through a sign-in ticket, as the sign-in page does).</summary>
    private static async Task<HttpClient> CookieClientAsync(IoTixWebFactory host, IoTixUser user)
    {
        var client = host.CreateAnonymousClient();
        var ticket = host.Services.GetRequiredService<SignInTickets>().Issue(user.Id, remember: false);
        using var signedIn = await client.GetAsync($"/account/complete-signin?ticket={ticket}&returnUrl=%2F");
        Assert.NotEqual(HttpStatusCode.Unauthorized, signedIn.StatusCode);
        return client;
    }

    private static async Task<string?> RoleAsync(HttpClient client)
    {
        using var me = await client.GetAsync("/api/v1/auth/me");
        return me.StatusCode == HttpStatusCode.OK ? (await me.JsonAsync()).GetProperty("role").GetString() : null;
    }

    /// <summary>A host whose clock is <paramref name="time"/> (default RevalidationMinutes: 1).</summary>
    private static IoTixWebFactory OnClock(FakeTimeProvider time) => new() { TestServices = services => services.AddSingleton<TimeProvider>(time) };

    [Fact]
    public async Task A_demoted_users_cookie_keeps_working_within_the_interval_and_is_signed_out_after_it()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = OnClock(time);
        var user = await CreateOperatorAsync(host);
        using var browser = await CookieClientAsync(host, user);
        using var admin = host.CreateClient();
        Assert.Equal(TenantRoles.Operator, await RoleAsync(browser));

        using var demoted = await admin.PutJsonAsync($"/api/v1/users/{user.Id}", JsonSerializer.Serialize(new { role = TenantRoles.Viewer }));
        var withinInterval = await RoleAsync(browser);
        time.Advance(TimeSpan.FromMinutes(1.5));
        var afterInterval = await RoleAsync(browser);
        using var again = await CookieClientAsync(host, user);

        Assert.Equal(HttpStatusCode.OK, demoted.StatusCode);
        Assert.Equal(TenantRoles.Operator, withinInterval);
        Assert.Null(afterInterval);
        Assert.Equal(TenantRoles.Viewer, await RoleAsync(again));
    }

    [Fact]
    public async Task A_cookie_that_still_stands_is_renewed_at_revalidation_with_the_same_role()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = OnClock(time);
        var user = await CreateOperatorAsync(host);
        using var browser = await CookieClientAsync(host, user);

        time.Advance(TimeSpan.FromMinutes(1.5));

        Assert.Equal(TenantRoles.Operator, await RoleAsync(browser));
        Assert.Equal(TenantRoles.Operator, await RoleAsync(browser));
    }

    [Fact]
    public async Task A_deleted_users_cookie_is_refused_after_the_interval()
    {
        await using var host = new IoTixWebFactory { Settings = { ["IoTix:Accounts:RevalidationMinutes"] = "0.001" } };
        var user = await CreateOperatorAsync(host);
        using var browser = await CookieClientAsync(host, user);
        using var admin = host.CreateClient();

        using var deleted = await admin.DeleteAsync($"/api/v1/users/{user.Id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await Eventually.GetAsync(async () => await RoleAsync(browser) is null ? "signed out" : null, "the deleted user's cookie refused");
    }

    [Fact]
    public async Task A_locked_users_console_circuit_is_signed_out_within_the_interval()
    {
        await using var host = new IoTixWebFactory { Settings = { ["IoTix:Accounts:RevalidationMinutes"] = "0.002" } };
        var user = await CreateOperatorAsync(host);
        await using var circuit = host.Services.CreateAsyncScope();
        var state = circuit.ServiceProvider.GetRequiredService<AuthenticationStateProvider>();
        var principal = new ClaimsPrincipal(new ClaimsIdentity(AccountClaims.For(user, AccountClaims.CookieMethod), IdentityConstants.ApplicationScheme));
        ((RevalidatingAccountStateProvider)state).SetAuthenticationState(Task.FromResult(new AuthenticationState(principal)));
        var signedOut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        state.AuthenticationStateChanged += async changed =>
        {
            if ((await changed).User.Identity?.IsAuthenticated != true)
            {
                signedOut.TrySetResult();
            }
        };
        using var admin = host.CreateClient();

        using var locked = await admin.PutJsonAsync($"/api/v1/users/{user.Id}", JsonSerializer.Serialize(new { locked = true }));

        Assert.Equal(HttpStatusCode.OK, locked.StatusCode);
        await signedOut.Task.WaitAsync(Eventually.Timeout);
        Assert.False((await state.GetAuthenticationStateAsync()).User.Identity?.IsAuthenticated);
    }
}
