using System.Security.Claims;
using IoTix.Tests.Shared;
using IoTix.Web.Accounts;
using IoTix.Web.Audit;
using IoTix.Web.Components.Pages.Access;
using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Web.Pages.Access;

/// <summary>The Users page's lock, unlock and password reset on the real host (SQLite), audited with the circuit's remote IP.</summary>
public sealed class UsersViewModelTests : IAsyncLifetime
{
    private const string RemoteIp = "203.0.113.9";

    private readonly IoTixWebFactory _factory = new();

    public Task InitializeAsync()
    {
        _ = _factory.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task<(UsersViewModel Page, string TargetId)> OpenAsync()
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IoTixUser>>();
        var admin = (await users.FindByEmailAsync(IoTixWebFactory.AdminEmail))!;
        var target = new IoTixUser { UserName = "target@users.test", Email = "target@users.test", Role = TenantRoles.Operator, CreatedAt = DateTime.UtcNow };
        Assert.True((await users.CreateAsync(target, "target-password-1")).Succeeded);
        var caller = new ClaimsPrincipal(new ClaimsIdentity(AccountClaims.For(admin, AccountClaims.CookieMethod), "test"));
        var page = new UsersViewModel(_factory.Services.GetRequiredService<IServiceScopeFactory>(), caller, RemoteIp);
        await page.LoadAsync();
        return (page, target.Id);
    }

    [Fact]
    public async Task Lock_and_unlock_show_in_the_list_and_are_audited_and_a_user_cannot_lock_itself()
    {
        var (page, targetId) = await OpenAsync();
        var self = page.Users.Single(u => u.Email == IoTixWebFactory.AdminEmail).Id;

        var locked = await page.SetLockedAsync(targetId, locked: true);
        var lockedEnd = page.Users.Single(u => u.Id == targetId).LockoutEnd;
        var unlocked = await page.SetLockedAsync(targetId, locked: false);
        var selfLock = await page.SetLockedAsync(self, locked: true);

        Assert.Null(locked);
        Assert.Equal(TenantUsers.LockedUntilUnlocked, lockedEnd);
        Assert.Null(unlocked);
        Assert.Null(page.Users.Single(u => u.Id == targetId).LockoutEnd);
        Assert.Equal("you can lock only other users with a role at most your own", selfLock);
        var entries = await _factory.Services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery(Action: "console.user."));
        Assert.Equal(["console.user.unlock", "console.user.lock"], entries.Select(e => e.Action).ToArray());
        Assert.All(entries, e => Assert.Equal((RemoteIp, "target@users.test"), (e.RemoteIp, e.Target)));
    }

    [Fact]
    public async Task A_reset_shows_a_temporary_password_once_and_marks_the_user_in_the_list()
    {
        var (page, targetId) = await OpenAsync();

        var reset = await page.ResetPasswordAsync(targetId);
        var elsewhere = await page.ResetPasswordAsync("no-such-user");

        Assert.True(reset.Succeeded, reset.Error);
        Assert.True(page.Users.Single(u => u.Id == targetId).MustChangePassword);
        Assert.Equal("no such user", elsewhere.Error);
        var entry = (await _factory.Services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery(Action: AccountPasswords.ResetAction, Outcome: AuditOutcomes.Success))).Single();
        Assert.Equal((IoTixWebFactory.AdminEmail, RemoteIp), (entry.Actor, entry.RemoteIp));
        Assert.DoesNotContain(reset.TemporaryPassword!, entry.Details, StringComparison.Ordinal);
    }
}
