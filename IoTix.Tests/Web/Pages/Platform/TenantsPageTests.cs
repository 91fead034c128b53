using Bunit;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;
using IoTix.Web.Audit;
using IoTix.Web.Components.Pages.Platform;
using IoTix.Web.Simulations;
using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace IoTix.Tests.Web.Pages.Platform;

/// <summary>The Tenants page on the real host's tenant service (SQLite): create with a first Owner, edit quotas, errors in words, audited.</summary>
public sealed class TenantsPageTests : IAsyncLifetime
{
    private readonly IoTixWebFactory _factory = new();
    private readonly BunitContext _context = new();
    private AsyncServiceScope _hostScope;

    public Task InitializeAsync()
    {
        _ = _factory.Services; // builds and starts the host (migrates the database)
        _hostScope = _factory.Services.CreateAsyncScope();
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _context.Services.AddMudServices();
        _context.Services.AddScoped(_ => _hostScope.ServiceProvider.GetRequiredService<TenantAdministration>());
        _context.Services.AddSingleton(_factory.Services.GetRequiredService<SimulationOrchestrator>());
        ConsoleTestUser.SignInWithAudit(_context, _factory.Services);
        _context.SetRendererInfo(new RendererInfo("Server", true));
        _context.Render<MudPopoverProvider>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _context.DisposeAsync();
        await _hostScope.DisposeAsync();
        await _factory.DisposeAsync();
    }

    private async Task<IRenderedComponent<TenantsPage>> CreateAcmeAsync()
    {
        var page = _context.Render<TenantsPage>();
        page.Find("input[data-testid=tenant-id]").Change("acme");
        page.Find("input[data-testid=tenant-name]").Change("Acme Inc");
        page.Find("input[data-testid=tenant-owner-email]").Change("owner@acme.test");
        page.Find("input[data-testid=tenant-owner-password]").Change("acme-owner-password");
        page.Find("input[data-testid=tenant-max-groups]").Change("3");
        await page.Find("[data-testid=tenant-save]").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Contains("Acme Inc", page.Find("[data-testid=tenants]").TextContent, StringComparison.Ordinal));
        return page;
    }

    private async Task<IReadOnlyList<AuditRecord>> ConsoleEntriesAsync(string action) =>
        await _factory.Services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery(Action: "console." + action));

    [Fact]
    public async Task Creating_a_tenant_lists_it_with_its_quotas_and_usage_and_creates_its_first_owner()
    {
        var page = await CreateAcmeAsync();

        var row = page.FindAll("[data-testid=tenants] tbody tr").Single(r => r.TextContent.Contains("acme", StringComparison.Ordinal));
        Assert.Contains("0 / 3", row.TextContent, StringComparison.Ordinal); // groups used / quota
        var owner = await _hostScope.ServiceProvider.GetRequiredService<UserManager<IoTixUser>>().FindByEmailAsync("owner@acme.test");
        Assert.Equal(("acme", TenantRoles.Owner), (owner!.TenantId, owner.Role));
        var entry = Assert.Single(await ConsoleEntriesAsync("tenant.create"));
        Assert.Equal(("acme", AuditOutcomes.Success, ConsoleTestUser.Name), (entry.Target, entry.Outcome, entry.Actor));
    }

    [Fact]
    public async Task Editing_quotas_saves_them_and_audits_before_and_after()
    {
        var page = await CreateAcmeAsync();
        var acme = page.FindAll("[data-testid=tenants] tbody tr").Single(r => r.TextContent.Contains("acme", StringComparison.Ordinal));

        await acme.QuerySelector("[data-testid=tenant-edit]")!.ClickAsync(new());
        page.Find("input[data-testid=tenant-max-groups]").Change("7");
        await page.Find("[data-testid=tenant-save]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Contains("0 / 7", page.Find("[data-testid=tenants]").TextContent, StringComparison.Ordinal));
        Assert.Equal(7, (await _factory.Services.GetRequiredService<TenantDirectory>().QuotasAsync("acme")).MaxGroups);
        var entry = Assert.Single(await ConsoleEntriesAsync("tenant.update"));
        Assert.Equal("maxGroups 3 -> 7", entry.Details);
    }

    [Fact]
    public async Task A_bad_id_and_a_taken_id_are_refused_in_words_and_audited_as_failed()
    {
        await CreateAcmeAsync();
        var page = _context.Render<TenantsPage>();

        page.Find("input[data-testid=tenant-id]").Change("Bad Id!");
        await page.Find("[data-testid=tenant-save]").ClickAsync(new());
        var invalid = page.Find("[data-testid=tenant-error]").TextContent;
        page.Find("input[data-testid=tenant-id]").Change("acme");
        await page.Find("[data-testid=tenant-save]").ClickAsync(new());
        var taken = page.Find("[data-testid=tenant-error]").TextContent;

        Assert.Contains("id must be 2 to 64 lower-case letters", invalid, StringComparison.Ordinal);
        Assert.Contains("tenant 'acme' already exists", taken, StringComparison.Ordinal);
        Assert.Equal(2, (await ConsoleEntriesAsync("tenant.create")).Count(e => e.Outcome == AuditOutcomes.Failed));
    }

    [Fact]
    public async Task The_apis_quota_edit_goes_through_the_same_service_and_is_audited_with_before_and_after()
    {
        await CreateAcmeAsync();
        using var api = _factory.CreateClient();

        using var updated = await api.PutJsonAsync("/api/v1/tenants/acme", """{"name": "Acme Inc", "maxGroups": 5}""");
        var entry = Assert.Single(await _factory.Services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery(Action: "PUT /api/v1/tenants")));

        Assert.Equal(System.Net.HttpStatusCode.OK, updated.StatusCode);
        Assert.StartsWith("maxGroups 3 -> 5", entry.Details, StringComparison.Ordinal);
    }
}
