using System.Net;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;
using IoTix.Web.Data;
using IoTix.Web.Simulations;
using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Web.Accounts;

/// <summary>
/// Tenant isolation on a real PostgreSQL: an Owner of tenant B tries every route on tenant A's model, group, device,
/// user and key and gets 404 (never 403); lists and stats show only its own; the rows carry their tenant.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class TenantIsolationTests(PostgresFixture postgres)
{
    private const string Model = "tenant-a-model";

    /// <summary>Tenant A (default): an API model, a running group of 3 and a single device.</summary>
    private static async Task<(string UserId, string KeyId)> ArrangeTenantAAsync(HttpClient a)
    {
        Assert.Equal(HttpStatusCode.Created, (await a.PostJsonAsync("/api/v1/models", ApiTestHost.Model(Model))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await a.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{Model}}", "count": 3, "groupId": "a-group", "idPattern": "a-dev-{index}"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await a.PostJsonAsync("/api/v1/groups/a-group/start", "{}")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await a.PostJsonAsync("/api/v1/devices", $$"""{"modelId": "{{Model}}", "deviceId": "a-single"}""")).StatusCode);
        var user = await (await a.PostJsonAsync("/api/v1/users", """{"email": "viewer@a.test", "password": "viewer-password-1", "role": "Viewer"}""")).JsonAsync();
        var key = await (await a.PostJsonAsync("/api/v1/api-keys", """{"name": "a-key"}""")).JsonAsync();
        await a.WaitForAsync("/api/v1/groups/a-group", g => g.GetProperty("runningDeviceCount").GetInt32() == 3, "a-group running");
        return (user.GetProperty("id").GetString()!, key.GetProperty("id").GetString()!);
    }

    [Fact]
    public async Task Every_route_on_another_tenants_objects_answers_404()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        var (userId, keyId) = await ArrangeTenantAAsync(host.Factory.CreateClient());
        using var b = await host.Factory.CreateClientForAsync(TenantRoles.Owner, "tenant-b");
        (string Method, string Url)[] attempts =
        [
            ("GET", $"/api/v1/models/{Model}"), ("DELETE", $"/api/v1/models/{Model}"),
            ("GET", "/api/v1/groups/a-group"), ("GET", "/api/v1/groups/a-group/progress"), ("POST", "/api/v1/groups/a-group/start"),
            ("POST", "/api/v1/groups/a-group/stop"), ("POST", "/api/v1/groups/a-group/dropout"), ("DELETE", "/api/v1/groups/a-group"),
            ("GET", "/api/v1/groups/a-group/launch/preview"), ("GET", "/api/v1/groups/a-group/dropout/preview"), ("GET", "/api/v1/groups/a-group/runs"),
            ("GET", "/api/v1/devices/a-single"), ("POST", "/api/v1/devices/a-single/start"), ("POST", "/api/v1/devices/a-single/stop"),
            ("DELETE", "/api/v1/devices/a-single"), ("GET", "/api/v1/devices/a-single/metrics"), ("GET", "/api/v1/devices/a-dev-0"),
            ("GET", "/api/v1/devices/a-dev-0/metrics"), ("POST", "/api/v1/devices/a-dev-0/stop"), ("GET", "/api/v1/devices?groupId=a-group"),
            ("GET", $"/api/v1/users/{userId}"), ("PUT", $"/api/v1/users/{userId}"), ("DELETE", $"/api/v1/users/{userId}"),
            ("DELETE", $"/api/v1/api-keys/{keyId}"),
        ];

        var wrong = new List<string>();
        foreach (var (method, url) in attempts)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), url);
            if (method is "POST" or "PUT")
            {
                request.Content = new StringContent(url.EndsWith("/dropout", StringComparison.Ordinal) ? """{"percentage": 50}""" : url.Contains("/users/", StringComparison.Ordinal) ? """{"role": "Owner"}""" : "{}", System.Text.Encoding.UTF8, "application/json");
            }

            using var response = await b.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.NotFound)
            {
                wrong.Add($"{method} {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }

        var a = host.Factory.CreateClient();
        var group = await a.GetJsonAsync("/api/v1/groups/a-group");
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        Assert.Equal(3, group.GetProperty("runningDeviceCount").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync("/api/v1/devices/a-single")).StatusCode);
        Assert.Equal("Viewer", (await a.GetJsonAsync($"/api/v1/users/{userId}")).GetProperty("role").GetString());
    }

    [Fact]
    public async Task Lists_stats_and_audit_show_only_the_callers_tenant()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        await ArrangeTenantAAsync(host.Factory.CreateClient());
        using var b = await host.Factory.CreateClientForAsync(TenantRoles.Owner, "tenant-b");
        Assert.Equal(HttpStatusCode.Created, (await b.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "count": 2, "groupId": "b-group", "idPattern": "b-dev-{index}"}""")).StatusCode);

        var models = (await b.GetJsonAsync("/api/v1/models")).ToString();
        var groups = (await b.GetJsonAsync("/api/v1/groups")).ToString();
        var devices = (await b.GetJsonAsync("/api/v1/devices")).ToString();
        var stats = await b.GetJsonAsync("/api/v1/stats");
        var users = (await b.GetJsonAsync("/api/v1/users")).ToString();
        var keys = (await b.GetJsonAsync("/api/v1/api-keys")).ToString();
        var audit = (await b.GetJsonAsync("/api/v1/audit")).ToString();

        Assert.DoesNotContain(Model, models, StringComparison.Ordinal);
        Assert.Contains(ApiFixture.FileModelId, models, StringComparison.Ordinal); // model files are shared read-only
        Assert.All((await b.GetJsonAsync("/api/v1/models")).GetProperty("items").EnumerateArray().Where(m => m.GetProperty("source").GetString() == "file"),
            m => Assert.Equal(Path.GetFileName(m.GetProperty("file").GetString()), m.GetProperty("file").GetString())); // no host paths for tenants
        Assert.DoesNotContain("a-group", groups, StringComparison.Ordinal);
        Assert.Contains("b-group", groups, StringComparison.Ordinal);
        Assert.DoesNotContain("a-dev-", devices, StringComparison.Ordinal);
        Assert.DoesNotContain("a-single", devices, StringComparison.Ordinal);
        Assert.Equal(2, stats.GetProperty("deviceCount").GetInt32());
        Assert.Equal(0, stats.GetProperty("runningDeviceCount").GetInt32());
        Assert.DoesNotContain("viewer@a.test", users, StringComparison.Ordinal);
        Assert.DoesNotContain("a-key", keys, StringComparison.Ordinal);
        Assert.DoesNotContain("a-group", audit, StringComparison.Ordinal);
        Assert.Contains("/api/v1/groups", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rows_carry_their_tenant_and_the_query_filter_hides_other_tenants_rows()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        await ArrangeTenantAAsync(host.Factory.CreateClient());
        using var b = await host.Factory.CreateClientForAsync(TenantRoles.Owner, "tenant-b");
        Assert.Equal(HttpStatusCode.Created, (await b.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "count": 1, "groupId": "b-group"}""")).StatusCode);
        var database = host.Factory.Services.GetRequiredService<IDbContextFactory<IoTixDbContext>>();

        List<string> seenByB, all;
        using (TenantScope.Enter("tenant-b"))
        {
            await using var context = await database.CreateDbContextAsync();
            seenByB = await context.Set<GroupRecord>().Select(g => g.GroupId).ToListAsync();
        }

        using (TenantScope.EnterSystem())
        {
            await using var context = await database.CreateDbContextAsync();
            all = await context.Set<GroupRecord>().OrderBy(g => g.GroupId).Select(g => g.GroupId + "@" + g.TenantId).ToListAsync();
        }

        Assert.Equal(["b-group"], seenByB);
        Assert.Equal(["a-group@default", "b-group@tenant-b"], all);
    }

    [Fact]
    public async Task Ids_another_tenant_uses_are_free_for_this_tenant_and_leave_the_other_tenants_objects_alone()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        await ArrangeTenantAAsync(host.Factory.CreateClient());
        using var b = await host.Factory.CreateClientForAsync(TenantRoles.Owner, "tenant-b");

        using var model = await b.PutJsonAsync($"/api/v1/models/{Model}", ApiTestHost.Model(Model, name: "B's own"));
        using var group = await b.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{Model}}", "count": 1, "groupId": "a-group", "idPattern": "a-dev-{index}"}""");
        using var device = await b.PostJsonAsync("/api/v1/devices", $$"""{"modelId": "{{Model}}", "deviceId": "a-single"}""");

        var a = host.Factory.CreateClient();
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created), (model.StatusCode, group.StatusCode, device.StatusCode));
        Assert.Equal("a-group", (await group.JsonAsync()).GetProperty("groupId").GetString());
        Assert.Equal("B's own", (await b.GetJsonAsync($"/api/v1/models/{Model}")).GetProperty("name").GetString());
        Assert.Equal($"Test {Model}", (await a.GetJsonAsync($"/api/v1/models/{Model}")).GetProperty("name").GetString());
        Assert.Equal(3, (await a.GetJsonAsync("/api/v1/groups/a-group")).GetProperty("runningDeviceCount").GetInt32());
        Assert.Equal(1, (await b.GetJsonAsync("/api/v1/groups/a-group")).GetProperty("deviceCount").GetInt32());
    }
}
