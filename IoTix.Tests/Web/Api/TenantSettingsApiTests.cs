using System.Net;
using IoTix.Broker.Admin;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Accounts;
using IoTix.Web.Accounts;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Web.Api;

/// <summary>
/// <c>/api/v1/settings</c> for a tenant other than the default one (real PostgreSQL): the installation-wide broker
/// settings are read-only to it (a change is refused naming the field), its history retention is its own.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class TenantSettingsApiTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_tenant_sees_the_installation_settings_read_only_and_cannot_change_them()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        using var acme = await AcmeAdminAsync(host);
        var platform = host.Factory.CreateClient();
        var before = host.Factory.Services.GetRequiredService<IBrokerRuntimeSettings>().Requested;

        var seen = await acme.GetJsonAsync("/api/v1/settings");
        using var payload = await acme.PutJsonAsync("/api/v1/settings", $$"""{"historyRetention": "12h", "maxPayloadBytes": {{before.MaxPayloadBytes + 1}}}""");
        using var policy = await acme.PutJsonAsync("/api/v1/settings", """{"historyRetention": "12h", "duplicateClientId": "reject", "connectionRateLimitPerIpPerSecond": 77}""");

        Assert.Equal(["maxPayloadBytes", "connectionRateLimitPerIpPerSecond", "duplicateClientId"], seen.GetProperty("readOnly").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(before.MaxPayloadBytes, seen.GetProperty("maxPayloadBytes").GetInt32());
        Assert.Contains("installation-wide", await payload.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "maxPayloadBytes"), StringComparison.Ordinal);
        Assert.Contains("installation-wide", await policy.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "duplicateClientId"), StringComparison.Ordinal);
        Assert.Contains("installation-wide", await policy.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "connectionRateLimitPerIpPerSecond"), StringComparison.Ordinal);
        Assert.Equal(before, host.Factory.Services.GetRequiredService<IBrokerRuntimeSettings>().Requested);
        Assert.Empty((await platform.GetJsonAsync("/api/v1/settings")).GetProperty("readOnly").EnumerateArray());
    }

    [Fact]
    public async Task A_tenants_history_retention_is_its_own_and_leaves_the_installation_retention_alone()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        using var acme = await AcmeAdminAsync(host);
        var platform = host.Factory.CreateClient();
        var installationBefore = (await platform.GetJsonAsync("/api/v1/settings")).GetProperty("historyRetention").GetString();
        var current = await acme.GetJsonAsync("/api/v1/settings");

        using var saved = await acme.PutJsonAsync("/api/v1/settings", $$"""{"historyRetention": "12h", "maxPayloadBytes": {{current.GetProperty("maxPayloadBytes").GetInt32()}}}""");

        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.Equal(["history retention"], (await saved.JsonAsync()).GetProperty("appliedNow").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("12h", (await acme.GetJsonAsync("/api/v1/settings")).GetProperty("historyRetention").GetString());
        Assert.Equal("24h", installationBefore);
        Assert.Equal("24h", (await platform.GetJsonAsync("/api/v1/settings")).GetProperty("historyRetention").GetString());
    }

    private static async Task<HttpClient> AcmeAdminAsync(AccountsHost host)
    {
        using var created = await host.Factory.CreateClient().PostJsonAsync("/api/v1/tenants", """{"id": "acme", "name": "Acme"}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return await host.Factory.CreateClientForAsync(TenantRoles.Admin, "acme");
    }
}
