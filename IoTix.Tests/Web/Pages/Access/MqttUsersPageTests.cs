using System.Security.Claims;
using Bunit;
using IoTix.Tests.Shared;
using IoTix.Web.Accounts;
using IoTix.Web.Audit;
using IoTix.Web.Components.Pages.Access;
using IoTix.Web.MqttUsers;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace IoTix.Tests.Web.Pages.Access;

/// <summary>The MQTT users page rendered with bUnit for a tenant's Admin, on the real host's store and audit log.</summary>
public sealed class MqttUsersPageTests : IAsyncLifetime
{
    private const string Tenant = "pg-mq";
    private readonly IoTixWebFactory _host = new();
    private readonly BunitContext _context = new();

    public Task InitializeAsync()
    {
        _ = _host.Server;
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _context.Services.AddMudServices();
        var authorization = _context.AddAuthorization();
        authorization.SetAuthorized(ConsoleTestUser.Name);
        authorization.SetClaims(new Claim(TenantClaims.Role, TenantRoles.Admin), new Claim(TenantClaims.Tenant, Tenant));
        _context.Services.AddSingleton(_host.Services.GetRequiredService<MqttUserService>());
        _context.Services.AddSingleton(_host.Services.GetRequiredService<IAuditLog>());
        _context.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", true));
        _context.Render<MudPopoverProvider>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _context.DisposeAsync();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Creating_shows_the_generated_password_once_in_a_dialog_and_revoking_removes_the_user()
    {
        var dialogs = _context.Render<MudDialogProvider>();
        var page = _context.Render<IoTix.Web.Components.Pages.Access.MqttUsers>();
        page.WaitForAssertion(() => Assert.Contains("tenants/pg-mq/", page.Markup, StringComparison.Ordinal));

        page.Find("input[data-testid=mqtt-user-name], [data-testid=mqtt-user-name] input").Input("page-fleet");
        await page.InvokeAsync(() => page.Find("[data-testid=mqtt-user-create]").Click());

        dialogs.WaitForAssertion(() => Assert.True(dialogs.Find("input[data-testid=mqtt-user-password], [data-testid=mqtt-user-password] input").GetAttribute("value") is { Length: >= 24 }));
        page.WaitForAssertion(() => Assert.Contains("pg-mq/page-fleet", page.Find("[data-testid=mqtt-user-table]").TextContent, StringComparison.Ordinal));
        var password = dialogs.Find("input[data-testid=mqtt-user-password], [data-testid=mqtt-user-password] input").GetAttribute("value")!;
        Assert.DoesNotContain(password, page.Markup, StringComparison.Ordinal);
        await dialogs.InvokeAsync(() => dialogs.Find("[data-testid=mqtt-user-password-close]").Click());
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=mqtt-user-password]")));

        await page.InvokeAsync(() => page.FindAll("[data-testid=mqtt-user-table] tbody button").Single().Click());

        page.WaitForAssertion(() => Assert.DoesNotContain("pg-mq/page-fleet", page.Find("[data-testid=mqtt-user-table]").TextContent, StringComparison.Ordinal));
        Assert.Empty((await _host.Services.GetRequiredService<MqttUserService>().ListAsync(Tenant))!);
        using var scope = TenantScope.Enter(Tenant);
        var actions = (await _host.Services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery(null, "console.mqttuser", null, Limit: 10))).Select(e => e.Action).ToList();
        Assert.Contains("console.mqttuser.create", actions);
        Assert.Contains("console.mqttuser.revoke", actions);
    }
}
