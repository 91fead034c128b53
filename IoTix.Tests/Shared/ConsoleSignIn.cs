using Microsoft.Playwright;

namespace IoTix.Tests.Shared;

/// <summary>Signs a Playwright page in to the console through the sign-in page (the cookie then serves every page of its context).</summary>
public static class ConsoleSignIn
{
    public static async Task SignInAsync(IPage page, string baseUrl, string email = IoTixWebFactory.AdminEmail, string password = IoTixWebFactory.AdminPassword)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.GotoAsync(baseUrl.TrimEnd('/') + "/account/login");
        await page.Locator("[data-testid=page][data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await page.Locator("[data-testid=signin-email] input, input[data-testid=signin-email]").First.FillAsync(email);
        await page.Locator("[data-testid=signin-password] input, input[data-testid=signin-password]").First.FillAsync(password);
        await page.Locator("[data-testid=signin-submit]").ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/account/", StringComparison.Ordinal), new PageWaitForURLOptions { Timeout = 30_000 });
    }
}
