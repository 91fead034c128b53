using System.Security.Claims;
using IoTix.Core.Devices;
using IoTix.Core.Strategies;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;
using IoTix.Web.Audit;
using IoTix.Web.Components.Pages.Groups;
using IoTix.Web.Simulations;
using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Web.Accounts;

/// <summary>Changes made from console pages are audited once each, by the circuit's user in its tenant, on a real PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ConsoleAuditTests(PostgresFixture postgres)
{
    private const string Operator = "operator@console.test";

    private static ConsoleAudit AuditFor(AccountsHost host) =>
        new(host.Factory.Services.GetRequiredService<IAuditLog>(), new SignedIn(Operator, Tenants.Default), new FixedTenant(Tenants.Default));

    private static async Task<IReadOnlyList<AuditRecord>> ConsoleEntriesAsync(AccountsHost host) =>
        await host.Factory.Services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery(Action: ConsoleAudit.Source + "."));

    [Fact]
    public async Task Each_group_action_on_the_groups_page_writes_exactly_one_console_entry_with_who_tenant_and_what()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        using var vm = new GroupsViewModel(host.Factory.Services.GetRequiredService<SimulationOrchestrator>(), TimeProvider.System, audit: AuditFor(host));

        Assert.Null(await vm.CreateAsync(new DeviceGroupSpec { ModelId = ApiFixture.FileModelId, Count = 2, GroupId = "console-group", IdPattern = "console-dev-{index}" }));
        Assert.Null(await vm.LaunchAsync("console-group", LaunchStrategy.Immediate));
        Assert.True((await vm.StopAsync("console-group")).Succeeded);
        Assert.True((await vm.DeleteAsync("console-group")).Succeeded);
        var entries = await ConsoleEntriesAsync(host);

        Assert.Equal(
            new[] { "console.group.delete", "console.group.stop", "console.group.launch", "console.group.create" },
            entries.Select(e => e.Action).ToArray());
        Assert.All(entries, e =>
        {
            Assert.Equal(Operator, e.Actor);
            Assert.Equal(Tenants.Default, e.TenantId);
            Assert.Equal("console-group", e.Target);
            Assert.Equal(AuditOutcomes.Success, e.Outcome);
        });
    }

    [Fact]
    public async Task A_refused_console_action_is_audited_as_failed_with_the_reason()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        using var vm = new GroupsViewModel(host.Factory.Services.GetRequiredService<SimulationOrchestrator>(), TimeProvider.System, audit: AuditFor(host));

        var error = await vm.LaunchAsync("no-such-group", LaunchStrategy.Immediate);
        var entry = Assert.Single(await ConsoleEntriesAsync(host));

        Assert.NotNull(error);
        Assert.Equal("console.group.launch", entry.Action);
        Assert.Equal(AuditOutcomes.Failed, entry.Outcome);
        Assert.Equal(error.Message, entry.Details);
    }

    [Fact]
    public async Task A_viewer_whose_crafted_event_reaches_a_group_action_is_refused_and_audited_as_denied()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        var simulations = host.Factory.Services.GetRequiredService<SimulationOrchestrator>();
        Assert.True((await simulations.CreateGroupAsync(new DeviceGroupSpec { ModelId = ApiFixture.FileModelId, Count = 2, GroupId = "viewer-target" })).Succeeded);
        var viewer = new ConsoleAudit(host.Factory.Services.GetRequiredService<IAuditLog>(), new SignedIn("viewer@console.test", Tenants.Default, TenantRoles.Viewer), new FixedTenant(Tenants.Default));
        using var vm = new GroupsViewModel(simulations, TimeProvider.System, audit: viewer);

        // The page renders these buttons disabled for a Viewer; the view model checks the role again.
        var launch = await vm.LaunchAsync("viewer-target", LaunchStrategy.Immediate);
        var delete = await vm.DeleteAsync("viewer-target");
        var create = await vm.CreateAsync(new DeviceGroupSpec { ModelId = ApiFixture.FileModelId, Count = 1, GroupId = "viewer-made" });
        var entries = await ConsoleEntriesAsync(host);

        Assert.Contains("simulations.run", launch!.Message, StringComparison.Ordinal);
        Assert.Contains("simulations.write", delete.Error!.Message, StringComparison.Ordinal);
        Assert.NotNull(create);
        Assert.False(simulations.GetGroup("viewer-target")!.Running); // still there, never launched
        Assert.Null(simulations.GetGroup("viewer-made"));
        Assert.Equal(["console.group.create", "console.group.delete", "console.group.launch"], entries.Select(e => e.Action).Order(StringComparer.Ordinal));
        Assert.All(entries, e => Assert.Equal((AuditOutcomes.Denied, "viewer@console.test"), (e.Outcome, e.Actor)));
    }

    [Fact]
    public async Task An_api_change_is_audited_by_the_api_filter_only_and_never_as_a_console_entry()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        using var client = host.Factory.CreateClient();

        using var created = await client.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "count": 1, "groupId": "api-group", "idPattern": "api-dev-{index}"}""");
        var all = await host.Factory.Services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery(Action: "groups"));

        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var entry = Assert.Single(all);
        Assert.StartsWith("POST /api/v1/groups", entry.Action, StringComparison.Ordinal);
        Assert.Empty(await ConsoleEntriesAsync(host));
    }

    /// <summary>A circuit's signed-in user (an Owner unless told: the console's actions check the role).</summary>
    internal sealed class SignedIn(string name, string tenant, string role = TenantRoles.Owner) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() =>
            Task.FromResult(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity(
                [new Claim(ClaimTypes.Name, name), new Claim(TenantClaims.Tenant, tenant), new Claim(TenantClaims.Role, role)], "test"))));
    }

    internal sealed class FixedTenant(string tenant) : ITenantContext
    {
        public string TenantId => tenant;
    }
}
