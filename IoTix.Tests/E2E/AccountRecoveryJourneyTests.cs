using IoTix.Tests.Shared;
using IoTix.Web.Accounts;
using IoTix.Web.Audit;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace IoTix.Tests.E2E;

/// <summary>
/// Console journeys of account recovery in Chromium: signing in with a two-factor recovery code, an administrator's
/// password reset and the forced change, and the Tenants page (platform administrators only). Screenshots of the
/// Tenants and Audit log pages for docs/security.md.
/// </summary>
public sealed class AccountRecoveryJourneyTests(ModelEditorE2EFixture fixture) : IClassFixture<ModelEditorE2EFixture>
{
    private const int Timeout = 30_000;

    private Task<IPage> AnonymousPageAsync() => fixture.NewAnonymousPageAsync();

    private async Task<IoTixUser> CreateUserAsync(string email, string password, string role)
    {
        await using var scope = fixture.Services.CreateAsyncScope();
        var user = new IoTixUser { UserName = email, Email = email, Role = role, CreatedAt = DateTime.UtcNow };
        var created = await scope.ServiceProvider.GetRequiredService<UserManager<IoTixUser>>().CreateAsync(user, password);
        Assert.True(created.Succeeded, string.Join("; ", created.Errors.Select(e => e.Description)));
        return user;
    }

    /// <summary>Fills the sign-in page's first step and submits it (the page then asks for a code or leaves /account/login).</summary>
    private async Task<IPage> SubmitPasswordAsync(string email, string password)
    {
        var page = await AnonymousPageAsync();
        await page.GotoAsync(fixture.BaseUrl + "/account/login");
        await page.Locator("[data-testid=page][data-interactive=true]").WaitForAsync(new() { Timeout = Timeout });
        await page.Locator("[data-testid=signin-email] input, input[data-testid=signin-email]").First.FillAsync(email);
        await page.Locator("[data-testid=signin-password] input, input[data-testid=signin-password]").First.FillAsync(password);
        await page.Locator("[data-testid=signin-submit]").ClickAsync();
        return page;
    }

    private static ILocator Input(IPage page, string testId) => page.Locator($"[data-testid={testId}] input, input[data-testid={testId}]").First;

    [Fact]
    public async Task A_user_without_the_authenticator_signs_in_with_a_recovery_code_and_the_entry_records_the_method_and_ip()
    {
        const string Email = "recovery@e2e.test";
        const string Password = "recovery-password-1";
        await CreateUserAsync(Email, Password, TenantRoles.Operator);
        IReadOnlyList<string> codes;
        await using (var scope = fixture.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IoTixUser>>();
            var user = (await users.FindByEmailAsync(Email))!;
            await users.ResetAuthenticatorKeyAsync(user);
            await users.SetTwoFactorEnabledAsync(user, true);
            codes = [.. (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, TwoFactorSetup.RecoveryCodeCount))!];
        }

        var page = await SubmitPasswordAsync(Email, Password);
        await page.Locator("[data-testid=signin-use-recovery]").ClickAsync(new() { Timeout = Timeout });
        await Input(page, "signin-recovery").FillAsync(codes[0], new() { Timeout = Timeout });
        await page.Locator("[data-testid=signin-submit]").ClickAsync();

        await page.WaitForURLAsync(url => !url.Contains("/account/", StringComparison.Ordinal), new() { Timeout = Timeout });
        await Expect(page.Locator("[data-testid=signed-in-user]")).ToHaveTextAsync(Email, new() { Timeout = Timeout });
        var entries = await fixture.Services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery(Actor: Email, Action: "auth.signin", Outcome: AuditOutcomes.Success));
        var entry = Assert.Single(entries);
        Assert.Equal($"method recovery code; {TwoFactorSetup.RecoveryCodeCount - 1} left", entry.Details);
        Assert.Equal("127.0.0.1", entry.RemoteIp);
    }

    [Fact]
    public async Task After_an_admin_reset_the_user_is_kept_on_the_password_page_until_the_password_is_changed()
    {
        const string Email = "reset@e2e.test";
        await CreateUserAsync(Email, "reset-password-1", TenantRoles.Operator);

        // The administrator resets the password on the Users page and reads the temporary one, shown once.
        var admin = await fixture.OpenAsync("/access/users");
        var row = admin.Locator("[data-testid=users] tr", new() { HasText = Email });
        await row.Locator("[data-testid=user-reset]").ClickAsync(new() { Timeout = Timeout });
        var temporary = (await admin.Locator("[data-testid=user-temporary-password] code").TextContentAsync(new() { Timeout = Timeout }))!.Trim();
        await Expect(row).ToContainTextAsync("temporary password", new() { Timeout = Timeout });

        // The user signs in with it and is sent to the password page, also when asking for another page.
        var user = await SubmitPasswordAsync(Email, temporary);
        await user.WaitForURLAsync(url => url.Contains("/account/password", StringComparison.Ordinal), new() { Timeout = Timeout });
        await user.GotoAsync(fixture.BaseUrl + "/groups");
        await user.WaitForURLAsync(url => url.Contains("/account/password", StringComparison.Ordinal), new() { Timeout = Timeout });
        await Expect(user.Locator("[data-testid=password-required]")).ToBeVisibleAsync(new() { Timeout = Timeout });

        await user.Locator("[data-testid=page][data-interactive=true]").WaitForAsync(new() { Timeout = Timeout });
        await Input(user, "password-current").FillAsync(temporary);
        await Input(user, "password-new").FillAsync("reset-password-2");
        await Input(user, "password-confirm").FillAsync("reset-password-2");
        await user.Locator("[data-testid=password-submit]").ClickAsync();

        await Expect(user.Locator("[data-testid=password-changed]")).ToBeVisibleAsync(new() { Timeout = Timeout });
        await user.GotoAsync(fixture.BaseUrl + "/groups");
        await user.Locator("[data-testid=page][data-interactive=true]").WaitForAsync(new() { Timeout = Timeout });
        Assert.Contains("/groups", user.Url, StringComparison.Ordinal);
        await Expect(user.Locator("[data-testid=signed-in-user]")).ToHaveTextAsync(Email, new() { Timeout = Timeout });
    }

    [Fact]
    public async Task A_platform_administrator_creates_a_tenant_on_the_tenants_page_and_a_tenant_admin_is_refused()
    {
        await CreateUserAsync("tenant-admin@e2e.test", "tenant-admin-password-1", TenantRoles.Admin);

        var admin = await fixture.OpenAsync("/tenants");
        await Input(admin, "tenant-id").FillAsync("acme-e2e");
        await Input(admin, "tenant-name").FillAsync("Acme (E2E)");
        await Input(admin, "tenant-owner-email").FillAsync("owner@acme-e2e.test");
        await Input(admin, "tenant-owner-password").FillAsync("acme-owner-password-1");
        await Input(admin, "tenant-max-groups").FillAsync("20");
        await Input(admin, "tenant-max-devices").FillAsync("10000");
        await admin.Locator("[data-testid=tenant-save]").ClickAsync();
        await Expect(admin.Locator("[data-testid=tenants]")).ToContainTextAsync("Acme (E2E)", new() { Timeout = Timeout });
        await admin.ScreenshotAsync(new() { Path = Path.Combine(Screenshots.Folder(), "tenants.png") });

        await admin.GotoAsync(fixture.BaseUrl + "/access/audit");
        await Expect(admin.Locator("[data-testid=audit-entries]")).ToContainTextAsync("console.tenant.create", new() { Timeout = Timeout });
        await admin.ScreenshotAsync(new() { Path = Path.Combine(Screenshots.Folder(), "access-audit.png") });

        var tenantAdmin = await AnonymousPageAsync();
        await ConsoleSignIn.SignInAsync(tenantAdmin, fixture.BaseUrl, "tenant-admin@e2e.test", "tenant-admin-password-1");
        await tenantAdmin.GotoAsync(fixture.BaseUrl + "/tenants");
        await Expect(tenantAdmin.Locator("[data-testid=not-authorized]")).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Expect(tenantAdmin.Locator("a[href='tenants']")).ToHaveCountAsync(0);
    }
}
