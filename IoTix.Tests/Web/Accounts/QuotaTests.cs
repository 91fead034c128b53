using System.Net;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;

namespace IoTix.Tests.Web.Accounts;

/// <summary>Tenant quotas on a real PostgreSQL: groups, devices and planned messages/s, refused with a problem naming the quota.</summary>
[Collection(PostgresCollection.Name)]
public sealed class QuotaTests(PostgresFixture postgres)
{
    /// <summary>Tenant "small": 2 groups, 10 devices, 1 message/s (the file model sends one message per 5 s per device: 10 devices plan 2/s).</summary>
    private static async Task<HttpClient> SmallTenantOwnerAsync(AccountsHost host)
    {
        var platform = host.Factory.CreateClient();
        using var created = await platform.PostJsonAsync("/api/v1/tenants", """{"id": "small", "name": "Small", "maxGroups": 2, "maxDevices": 10, "maxMessagesPerSecond": 1}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return await host.Factory.CreateClientForAsync(TenantRoles.Owner, "small");
    }

    [Fact]
    public async Task A_group_beyond_maxGroups_is_refused_naming_the_quota()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        using var owner = await SmallTenantOwnerAsync(host);
        Assert.Equal(HttpStatusCode.Created, (await owner.PostJsonAsync("/api/v1/groups", """{"modelId": "file-sensor", "count": 1}""")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await owner.PostJsonAsync("/api/v1/groups", """{"modelId": "file-sensor", "count": 1}""")).StatusCode);

        using var third = await owner.PostJsonAsync("/api/v1/groups", """{"modelId": "file-sensor", "count": 1}""");

        var message = await third.AssertFieldProblemAsync(HttpStatusCode.Conflict, "quota");
        Assert.Contains("at most 2 groups (quota maxGroups", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Devices_beyond_maxDevices_are_refused_for_groups_and_single_devices()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        using var owner = await SmallTenantOwnerAsync(host);
        Assert.Equal(HttpStatusCode.Created, (await owner.PostJsonAsync("/api/v1/groups", """{"modelId": "file-sensor", "count": 10}""")).StatusCode);

        using var group = await owner.PostJsonAsync("/api/v1/groups", """{"modelId": "file-sensor", "count": 1}""");
        using var device = await owner.PostJsonAsync("/api/v1/devices", """{"modelId": "file-sensor"}""");

        Assert.Contains("quota maxDevices", await group.AssertFieldProblemAsync(HttpStatusCode.Conflict, "quota"), StringComparison.Ordinal);
        Assert.Contains("quota maxDevices", await device.AssertFieldProblemAsync(HttpStatusCode.Conflict, "quota"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Starting_a_group_beyond_maxMessagesPerSecond_is_refused_and_the_default_tenant_is_not_limited()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        using var owner = await SmallTenantOwnerAsync(host);
        var platform = host.Factory.CreateClient();
        Assert.Equal(HttpStatusCode.Created, (await owner.PostJsonAsync("/api/v1/groups", """{"modelId": "file-sensor", "count": 10, "groupId": "small-fast"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await platform.PostJsonAsync("/api/v1/groups", """{"modelId": "file-sensor", "count": 100, "groupId": "default-big"}""")).StatusCode);

        using var start = await owner.PostJsonAsync("/api/v1/groups/small-fast/start", "{}");
        using var big = await platform.PostJsonAsync("/api/v1/groups/default-big/start", "{}");

        var message = await start.AssertFieldProblemAsync(HttpStatusCode.Conflict, "quota");
        Assert.Contains("at most 1 messages/s", message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, big.StatusCode);
    }
}
