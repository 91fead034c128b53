using IoTix.Core.Devices;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Accounts;
using IoTix.Web.Accounts;
using IoTix.Web.Simulations;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace IoTix.Tests.E2E;

/// <summary>Console journeys of accounts in Chromium: signing in, adding a user with a role, and what a Viewer sees.</summary>
public sealed class AccountsJourneyTests(ModelEditorE2EFixture fixture) : IClassFixture<ModelEditorE2EFixture>
{
    private const int Timeout = 30_000;

    private Task<IPage> AnonymousPageAsync() => fixture.NewAnonymousPageAsync();

    [Fact]
    public async Task A_protected_page_sends_an_anonymous_visitor_to_sign_in_and_back_after_it()
    {
        var page = await AnonymousPageAsync();
        await page.GotoAsync(fixture.BaseUrl + "/groups");
        await page.WaitForURLAsync(url => url.Contains("/account/login", StringComparison.Ordinal), new() { Timeout = Timeout });
        await page.Locator("[data-testid=page][data-interactive=true]").WaitForAsync(new() { Timeout = Timeout });

        await page.Locator("[data-testid=signin-email] input, input[data-testid=signin-email]").First.FillAsync(IoTixWebFactory.AdminEmail);
        await page.Locator("[data-testid=signin-password] input, input[data-testid=signin-password]").First.FillAsync("wrong-password");
        await page.Locator("[data-testid=signin-submit]").ClickAsync();
        await Expect(page.Locator("[data-testid=signin-error]")).ToContainTextAsync("wrong e-mail or password", new() { Timeout = Timeout });

        await page.Locator("[data-testid=signin-password] input, input[data-testid=signin-password]").First.FillAsync(IoTixWebFactory.AdminPassword);
        await page.Locator("[data-testid=signin-submit]").ClickAsync();
        await page.WaitForURLAsync(url => url.EndsWith("/groups", StringComparison.Ordinal), new() { Timeout = Timeout });
        await Expect(page.Locator("[data-testid=signed-in-user]")).ToHaveTextAsync(IoTixWebFactory.AdminEmail, new() { Timeout = Timeout });
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots.Folder(), "signed-in.png") });
    }

    [Fact]
    public async Task An_admin_adds_a_viewer_who_sees_groups_without_launch_buttons()
    {
        var group = await fixture.Services.GetRequiredService<SimulationOrchestrator>()
            .CreateGroupAsync(new DeviceGroupSpec { ModelId = "simple-temperature", Count = 2, GroupId = "e2e-viewer-group" });
        Assert.True(group.Succeeded, group.Error?.Message);

        // The administrator adds a Viewer on the Users page.
        var admin = await fixture.OpenAsync("/access/users");
        await admin.Locator("[data-testid=user-email] input, input[data-testid=user-email]").First.FillAsync("viewer@e2e.test");
        await admin.Locator("[data-testid=user-password] input, input[data-testid=user-password]").First.FillAsync("viewer-password-1");
        await admin.Locator("[data-testid=user-role]").ClickAsync();
        await admin.Locator(".mud-popover-open .mud-list-item", new() { HasText = "Viewer" }).First.ClickAsync();
        await admin.Locator("[data-testid=user-create]").ClickAsync();
        await Expect(admin.Locator("[data-testid=users]")).ToContainTextAsync("viewer@e2e.test", new() { Timeout = Timeout });
        await admin.ScreenshotAsync(new() { Path = Path.Combine(Screenshots.Folder(), "access-users.png") });

        // The administrator sees the launch button of the group.
        await admin.GotoAsync(fixture.BaseUrl + "/groups");
        await Expect(admin.GetByText("e2e-viewer-group").First).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Expect(admin.Locator("[aria-label=launch]")).Not.ToHaveCountAsync(0, new() { Timeout = Timeout });

        // The Viewer signs in: the group is listed, no launch, create or delete, and the Users page is refused.
        var viewer = await AnonymousPageAsync();
        await ConsoleSignIn.SignInAsync(viewer, fixture.BaseUrl, "viewer@e2e.test", "viewer-password-1");
        await viewer.GotoAsync(fixture.BaseUrl + "/groups");
        await viewer.Locator("[data-testid=page][data-interactive=true]").WaitForAsync(new() { Timeout = Timeout });
        await Expect(viewer.GetByText("e2e-viewer-group").First).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Expect(viewer.Locator("[aria-label=launch]")).ToHaveCountAsync(0);
        await Expect(viewer.Locator("[aria-label=delete]")).ToHaveCountAsync(0);
        await Expect(viewer.Locator("[data-testid=create-group]")).ToHaveCountAsync(0);

        await viewer.GotoAsync(fixture.BaseUrl + "/access/users");
        await Expect(viewer.Locator("[data-testid=not-authorized]")).ToBeVisibleAsync(new() { Timeout = Timeout });
    }

    [Fact]
    public async Task A_user_turns_on_two_factor_and_the_next_sign_in_asks_for_the_authenticator_code()
    {
        const string Email = "two-factor@e2e.test";
        const string Password = "two-factor-password-1";
        await using (var scope = fixture.Services.CreateAsyncScope())
        {
            var created = await scope.ServiceProvider.GetRequiredService<UserManager<IoTixUser>>()
                .CreateAsync(new IoTixUser { UserName = Email, Email = Email, Role = TenantRoles.Operator, CreatedAt = DateTime.UtcNow }, Password);
            Assert.True(created.Succeeded, string.Join("; ", created.Errors.Select(e => e.Description)));
        }

        // The user sets up two-factor with the key the page shows and a first code.
        var page = await AnonymousPageAsync();
        await ConsoleSignIn.SignInAsync(page, fixture.BaseUrl, Email, Password);
        await page.GotoAsync(fixture.BaseUrl + "/account/two-factor");
        await page.Locator("[data-testid=page][data-interactive=true]").WaitForAsync(new() { Timeout = Timeout });
        await page.Locator("[data-testid=two-factor-start]").ClickAsync();
        var key = (await page.Locator("[data-testid=two-factor-key]").TextContentAsync(new() { Timeout = Timeout }))!.Trim();
        await Expect(page.Locator("[data-testid=two-factor-uri]")).ToContainTextAsync("otpauth://totp/IoTix:", new() { Timeout = Timeout });
        await page.Locator("[data-testid=two-factor-code] input, input[data-testid=two-factor-code]").First.FillAsync(Totp.Code(key, DateTimeOffset.UtcNow, stepOffset: 0));
        await page.Locator("[data-testid=two-factor-enable]").ClickAsync();
        await Expect(page.Locator("[data-testid=two-factor-on]")).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Expect(page.Locator("[data-testid=two-factor-recovery]")).ToBeVisibleAsync();

        // A new sign-in: the password, then the code as a second step.
        var next = await AnonymousPageAsync();
        await next.GotoAsync(fixture.BaseUrl + "/account/login");
        await next.Locator("[data-testid=page][data-interactive=true]").WaitForAsync(new() { Timeout = Timeout });
        await next.Locator("[data-testid=signin-email] input, input[data-testid=signin-email]").First.FillAsync(Email);
        await next.Locator("[data-testid=signin-password] input, input[data-testid=signin-password]").First.FillAsync(Password);
        await next.Locator("[data-testid=signin-submit]").ClickAsync();
        var code = next.Locator("[data-testid=signin-totp] input, input[data-testid=signin-totp]").First;
        await code.WaitForAsync(new() { Timeout = Timeout });
        await code.FillAsync(Totp.Code(key, DateTimeOffset.UtcNow, stepOffset: 1));
        await next.Locator("[data-testid=signin-submit]").ClickAsync();
        await next.WaitForURLAsync(url => !url.Contains("/account/", StringComparison.Ordinal), new() { Timeout = Timeout });
        await Expect(next.Locator("[data-testid=signed-in-user]")).ToHaveTextAsync(Email, new() { Timeout = Timeout });
    }
}
