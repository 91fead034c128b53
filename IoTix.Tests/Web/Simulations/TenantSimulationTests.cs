using System.Net;
using System.Text.Json;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;
using IoTix.Web.LiveMetrics;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Web.Simulations;

/// <summary>
/// Tenant namespaces through the API (SQLite host, in-process MQTT adapter): two tenants use the same model, group and
/// device ids, each sees only its own by its bare ids, and another tenant's ids are "not found" on every route.
/// </summary>
public sealed class TenantSimulationTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    /// <summary>An API model m1 (named after the tenant), group g1 of devices d0 and d1, and single device s1.</summary>
    internal static async Task ArrangeSameIdsAsync(HttpClient client, string name)
    {
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync("/api/v1/models", ApiTestHost.Model("m1", name: name))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync("/api/v1/groups", """{"modelId": "m1", "count": 2, "groupId": "g1", "idPattern": "d{index}"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync("/api/v1/devices", """{"modelId": "m1", "deviceId": "s1"}""")).StatusCode);
    }

    /// <summary>Owners of two new tenants; A has <see cref="ArrangeSameIdsAsync"/>'s objects, B too when <paramref name="arrangeB"/>.</summary>
    private async Task<(HttpClient A, HttpClient B)> TwoTenantsAsync(bool arrangeB)
    {
        var a = await fixture.Factory.CreateClientForAsync(TenantRoles.Owner, ApiTestHost.Unique("ta"));
        var b = await fixture.Factory.CreateClientForAsync(TenantRoles.Owner, ApiTestHost.Unique("tb"));
        await ArrangeSameIdsAsync(a, "A's m1");
        if (arrangeB)
        {
            await ArrangeSameIdsAsync(b, "B's m1");
        }

        return (a, b);
    }

    private static List<string> Ids(JsonElement page, string property) =>
        page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty(property).GetString()!).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task Two_tenants_create_the_same_model_group_and_device_ids_and_each_sees_only_its_own_by_bare_ids()
    {
        var (a, b) = await TwoTenantsAsync(arrangeB: true);
        using var disposeA = a;
        using var disposeB = b;
        Assert.Equal(HttpStatusCode.Created, (await a.PostJsonAsync("/api/v1/devices", """{"modelId": "m1", "deviceId": "s2"}""")).StatusCode);

        var groupOfB = await b.GetJsonAsync("/api/v1/groups/g1");
        var devicesOfB = await b.GetJsonAsync("/api/v1/devices");
        var groupDevicesOfB = await b.GetJsonAsync("/api/v1/devices?groupId=g1");
        var deviceOfB = await b.GetJsonAsync("/api/v1/devices/d1");
        var statsOfB = await b.GetJsonAsync("/api/v1/stats");

        Assert.Equal(("g1", 2), (groupOfB.GetProperty("groupId").GetString(), groupOfB.GetProperty("deviceCount").GetInt32()));
        Assert.Equal(["d0", "d1", "s1"], Ids(devicesOfB, "deviceId"));
        Assert.Equal(["d0", "d1"], Ids(groupDevicesOfB, "deviceId"));
        Assert.Equal(("d1", "g1"), (deviceOfB.GetProperty("deviceId").GetString(), deviceOfB.GetProperty("groupId").GetString()));
        Assert.Equal(3, statsOfB.GetProperty("deviceCount").GetInt32());
        Assert.True(!statsOfB.TryGetProperty("scheduler", out var scheduler) || scheduler.ValueKind == System.Text.Json.JsonValueKind.Null, "a tenant sees no engine-wide scheduler counters");
        Assert.Equal("B's m1", (await b.GetJsonAsync("/api/v1/models/m1")).GetProperty("name").GetString());
        Assert.Equal("A's m1", (await a.GetJsonAsync("/api/v1/models/m1")).GetProperty("name").GetString());
        Assert.Equal(["d0", "d1", "s1", "s2"], Ids(await a.GetJsonAsync("/api/v1/devices"), "deviceId"));
    }

    [Fact]
    public async Task Every_group_and_device_route_answers_404_for_ids_only_another_tenant_has()
    {
        var (a, b) = await TwoTenantsAsync(arrangeB: false);
        using var disposeA = a;
        using var disposeB = b;
        Assert.Equal(HttpStatusCode.Accepted, (await a.PostJsonAsync("/api/v1/groups/g1/start", "{}")).StatusCode);
        (string Method, string Url)[] attempts =
        [
            ("GET", "/api/v1/models/m1"), ("DELETE", "/api/v1/models/m1"),
            ("GET", "/api/v1/groups/g1"), ("GET", "/api/v1/groups/g1/progress"), ("POST", "/api/v1/groups/g1/start"), ("POST", "/api/v1/groups/g1/restart"),
            ("POST", "/api/v1/groups/g1/stop"), ("POST", "/api/v1/groups/g1/dropout"), ("DELETE", "/api/v1/groups/g1"),
            ("GET", "/api/v1/groups/g1/launch/preview"), ("GET", "/api/v1/groups/g1/dropout/preview"), ("GET", "/api/v1/groups/g1/runs"),
            ("GET", "/api/v1/devices/s1"), ("POST", "/api/v1/devices/s1/start"), ("POST", "/api/v1/devices/s1/stop"),
            ("DELETE", "/api/v1/devices/s1"), ("GET", "/api/v1/devices/s1/metrics"), ("GET", "/api/v1/devices/d0"),
            ("GET", "/api/v1/devices/d0/metrics"), ("POST", "/api/v1/devices/d0/stop"), ("GET", "/api/v1/devices?groupId=g1"),
        ];

        var wrong = new List<string>();
        foreach (var (method, url) in attempts)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), url);
            if (method == "POST")
            {
                request.Content = new StringContent(url.EndsWith("/dropout", StringComparison.Ordinal) ? """{"percentage": 50}""" : "{}", System.Text.Encoding.UTF8, "application/json");
            }

            using var response = await b.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.NotFound)
            {
                wrong.Add($"{method} {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        Assert.True((await a.GetJsonAsync("/api/v1/groups/g1")).GetProperty("running").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync("/api/v1/devices/s1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync("/api/v1/models/m1")).StatusCode);
    }

    [Fact]
    public async Task Deleting_a_group_of_one_tenant_leaves_the_same_group_of_another_running()
    {
        var (a, b) = await TwoTenantsAsync(arrangeB: true);
        using var disposeA = a;
        using var disposeB = b;
        Assert.Equal(HttpStatusCode.Accepted, (await a.PostJsonAsync("/api/v1/groups/g1/start", "{}")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await b.PostJsonAsync("/api/v1/groups/g1/start", "{}")).StatusCode);
        await b.WaitForAsync("/api/v1/groups/g1", g => g.GetProperty("runningDeviceCount").GetInt32() == 2, "b's g1 running");

        Assert.Equal(HttpStatusCode.NoContent, (await a.DeleteAsync("/api/v1/groups/g1")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await a.DeleteAsync("/api/v1/devices/s1")).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync("/api/v1/groups/g1")).StatusCode);
        Assert.Equal(2, (await b.GetJsonAsync("/api/v1/groups/g1")).GetProperty("runningDeviceCount").GetInt32());
        Assert.Equal("s1", (await b.GetJsonAsync("/api/v1/devices/s1")).GetProperty("deviceId").GetString());
        Assert.Equal(1, (await b.GetJsonAsync("/api/v1/groups/g1/runs")).GetArrayLength());
    }

    [Fact]
    public async Task The_device_inspector_shows_each_tenant_its_own_groups_and_devices_by_bare_ids()
    {
        var tenant = ApiTestHost.Unique("ti");
        using var client = await fixture.Factory.CreateClientForAsync(TenantRoles.Owner, tenant);
        await ArrangeSameIdsAsync(client, "inspected");
        var inspector = fixture.Factory.Services.GetRequiredService<DeviceInspector>();

        IReadOnlyList<string> groups, devices;
        bool found;
        DeviceSnapshot snapshot;
        using (TenantScope.Enter(tenant))
        {
            groups = inspector.GroupIds();
            devices = inspector.FindDevices("g1", null);
            found = inspector.TryGetSnapshot("d1", out snapshot);
        }

        Assert.Equal(["g1"], groups);
        Assert.Equal(["d0", "d1"], devices);
        Assert.True(found);
        Assert.Equal(("d1", "g1"), (snapshot.Metrics.DeviceId, snapshot.Metrics.GroupId));
        Assert.DoesNotContain("g1", inspector.GroupIds()); // the default tenant has no g1
    }

    [Fact]
    public async Task Quotas_count_only_the_tenants_own_groups_when_ids_are_shared()
    {
        var (small, other) = (ApiTestHost.Unique("small"), ApiTestHost.Unique("other"));
        var platform = fixture.CreateClient();
        Assert.Equal(HttpStatusCode.Created, (await platform.PostJsonAsync("/api/v1/tenants", $$"""{"id": "{{small}}", "maxGroups": 1, "maxDevices": 10}""")).StatusCode);
        using var s = await fixture.Factory.CreateClientForAsync(TenantRoles.Owner, small);
        using var o = await fixture.Factory.CreateClientForAsync(TenantRoles.Owner, other);
        Assert.Equal(HttpStatusCode.Created, (await o.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "count": 1, "groupId": "g1"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await o.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "count": 1, "groupId": "g2"}""")).StatusCode);

        using var first = await s.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "count": 1, "groupId": "g1"}""");
        using var second = await s.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "count": 1, "groupId": "g2"}""");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Contains("quota maxGroups", await second.AssertFieldProblemAsync(HttpStatusCode.Conflict, "quota"), StringComparison.Ordinal);
    }
}
