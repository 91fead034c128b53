using System.Net;
using System.Text;
using System.Text.Json;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;
using IoTix.Web.Data;
using IoTix.Web.Devices;
using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Web.Devices;

/// <summary>
/// Registry, shadows and direct methods per tenant through the API of the whole host with its broker: a tenant's
/// things live in its namespace (<c>tenants/{t}/...</c>), the API shows bare ids, and another tenant's things answer 404.
/// </summary>
public sealed class TenantDevicesTests(TwinHostFixture host) : IClassFixture<TwinHostFixture>
{
    private static HttpContent Json(string json) => new StringContent(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Two_tenants_with_the_same_thing_id_each_get_their_own_device_and_shadow()
    {
        using var acme = await host.Factory.CreateClientForAsync(TenantRoles.Admin, "td-acme");
        using var beta = await host.Factory.CreateClientForAsync(TenantRoles.Admin, "td-beta");

        var acmeRegistered = await acme.PostJsonAsync("/api/v1/registry/devices", """{"deviceId":"lamp","tags":["a"]}""");
        var betaRegistered = await beta.PostJsonAsync("/api/v1/registry/devices", """{"deviceId":"lamp","tags":["b"]}""");
        var acmeShadow = await acme.PatchAsync("/api/v1/shadows/lamp", Json("""{"state":{"desired":{"on":true}}}"""));
        var betaBefore = await beta.GetAsync("/api/v1/shadows/lamp");
        var betaShadow = await beta.PatchAsync("/api/v1/shadows/lamp", Json("""{"state":{"desired":{"on":false}}}"""));
        var acmeAfter = await acme.GetJsonAsync("/api/v1/shadows/lamp");
        var platform = await host.Client.GetAsync("/api/v1/shadows/lamp");
        var acmeDevice = await acme.GetJsonAsync("/api/v1/registry/devices/lamp");

        Assert.Equal(HttpStatusCode.Created, acmeRegistered.StatusCode);
        Assert.Equal(HttpStatusCode.Created, betaRegistered.StatusCode);
        Assert.Equal(HttpStatusCode.OK, acmeShadow.StatusCode);
        await betaBefore.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, betaShadow.StatusCode);
        Assert.Equal("lamp", acmeAfter.GetProperty("thingName").GetString());
        Assert.True(acmeAfter.GetProperty("state").GetProperty("desired").GetProperty("on").GetBoolean());
        Assert.Equal(1, acmeAfter.GetProperty("version").GetInt64());
        await platform.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal("lamp", acmeDevice.GetProperty("deviceId").GetString());
        Assert.Equal("lamp", acmeDevice.GetProperty("clientId").GetString());
        Assert.Equal("a", acmeDevice.GetProperty("tags")[0].GetString());
    }

    [Fact]
    public async Task Another_tenants_device_shadow_and_methods_answer_404_on_every_route()
    {
        using var acme = await host.Factory.CreateClientForAsync(TenantRoles.Admin, "td-owner");
        using var beta = await host.Factory.CreateClientForAsync(TenantRoles.Admin, "td-other");
        Assert.Equal(HttpStatusCode.Created, (await acme.PostJsonAsync("/api/v1/registry/devices", """{"deviceId":"secret-meter"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await acme.PatchAsync("/api/v1/shadows/secret-meter", Json("""{"state":{"desired":{"x":1}}}"""))).StatusCode);
        using var device = await host.ConnectAsync("tenants/td-owner/secret-meter");

        var answers = new[]
        {
            await beta.GetAsync("/api/v1/registry/devices/secret-meter"),
            await beta.PutJsonAsync("/api/v1/registry/devices/secret-meter", """{"tags":["mine"]}"""),
            await beta.DeleteAsync("/api/v1/registry/devices/secret-meter"),
            await beta.GetAsync("/api/v1/shadows/secret-meter"),
            await beta.DeleteAsync("/api/v1/shadows/secret-meter"),
            await beta.PostJsonAsync("/api/v1/registry/devices/secret-meter/methods/reboot", "{}"),
            await beta.GetAsync("/api/v1/shadows/tenants%2Ftd-owner%2Fsecret-meter"),
            await host.Client.GetAsync("/api/v1/shadows/tenants%2Ftd-owner%2Fsecret-meter"),
        };
        var list = await beta.GetJsonAsync("/api/v1/registry/devices");

        foreach (var answer in answers)
        {
            await answer.AssertProblemAsync(HttpStatusCode.NotFound);
        }

        Assert.Equal(0, list.GetProperty("items").GetArrayLength());
        Assert.Equal(1, (await acme.GetJsonAsync("/api/v1/shadows/secret-meter")).GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task A_tenants_connected_device_shows_online_under_its_bare_id_and_answers_a_method_call()
    {
        using var acme = await host.Factory.CreateClientForAsync(TenantRoles.Operator, "td-methods");
        using var device = await host.ConnectAsync("tenants/td-methods/pump");
        device.AnswerMethodsWith("{\"pumping\":true}");
        await device.SubscribeAsync("tenants/td-methods/$iotix/things/pump/methods/+", MqttQualityOfServiceLevel.AtLeastOnce);

        var call = await acme.PostJsonAsync("/api/v1/registry/devices/pump/methods/start", """{"payload":{"rate":3},"timeoutSeconds":20}""");

        var body = await call.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, call.StatusCode);
        Assert.True(body.GetProperty("payload").GetProperty("pumping").GetBoolean());
        var registry = host.Factory.Services.GetRequiredService<IDeviceRegistry>();
        Assert.True(registry.LiveStatus("td-methods", "pump")?.Online);
        Assert.Null(registry.LiveStatus(Tenants.Default, "pump"));
    }

    [Fact]
    public async Task A_shadow_stored_under_a_tenants_key_is_stamped_with_that_tenant_and_an_unknown_namespace_with_the_default()
    {
        using var acme = await host.Factory.CreateClientForAsync(TenantRoles.Admin, "td-stamp");
        Assert.Equal(HttpStatusCode.OK, (await acme.PatchAsync("/api/v1/shadows/valve", Json("""{"state":{"reported":{"open":true}}}"""))).StatusCode);
        using var device = await host.ConnectAsync("tenants/td-ghost/valve");
        var accepted = new MessageCollector(device);
        await device.SubscribeAsync("tenants/td-ghost/$iotix/things/valve/shadow/update/accepted", MqttQualityOfServiceLevel.AtLeastOnce);
        await device.PublishStringAsync("tenants/td-ghost/$iotix/things/valve/shadow/update", """{"state":{"reported":{"open":false}}}""", MqttQualityOfServiceLevel.AtLeastOnce);
        await accepted.WaitForAsync(1, TimeSpan.FromSeconds(20));

        var rows = await Eventually.GetAsync(async () =>
        {
            using var system = TenantScope.EnterSystem();
            await using var context = host.Factory.Services.GetRequiredService<IoTixDatabase>().CreateDbContext();
            var found = await context.Set<ShadowRecord>().AsNoTracking().Where(s => s.ThingName == "tenants/td-stamp/valve" || s.ThingName == "tenants/td-ghost/valve").ToListAsync();
            return found.Count == 2 ? found : null;
        }, "both shadows stored");

        Assert.Equal("td-stamp", rows.Single(r => r.ThingName == "tenants/td-stamp/valve").TenantId);
        Assert.Equal(Tenants.Default, rows.Single(r => r.ThingName == "tenants/td-ghost/valve").TenantId);
        Assert.Contains("\"open\":true", JsonSerializer.Serialize(await acme.GetJsonAsync("/api/v1/shadows/valve")), StringComparison.Ordinal);
    }
}

/// <summary>The same isolation on PostgreSQL: namespaced keys of the longest ids fit the columns, rows are stamped per tenant.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresTenantDevicesTests(PostgresFixture postgres) : IAsyncLifetime
{
    private IoTixWebFactory _factory = null!;

    public async Task InitializeAsync()
    {
        _factory = new IoTixWebFactory
        {
            Settings =
            {
                ["Database:Provider"] = "postgresql",
                ["ConnectionStrings:IoTix"] = await postgres.CreateDatabaseAsync("iotix_tdev"),
                ["IoTix:Models:Watch"] = "false",
            },
        };
        _ = _factory.Server;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task Two_tenants_register_the_same_longest_id_and_shadow_and_never_see_each_other()
    {
        var id = new string('x', 128);
        using var acme = await _factory.CreateClientForAsync(TenantRoles.Admin, "pg-td-acme-with-a-long-tenant-name");
        using var beta = await _factory.CreateClientForAsync(TenantRoles.Admin, "pg-td-beta");

        var registered = new[]
        {
            await acme.PostJsonAsync("/api/v1/registry/devices", $$"""{"deviceId":"{{id}}"}"""),
            await beta.PostJsonAsync("/api/v1/registry/devices", $$"""{"deviceId":"{{id}}"}"""),
        };
        var patched = await acme.PatchAsync($"/api/v1/shadows/{id}", new StringContent("""{"state":{"desired":{"on":true}}}""", Encoding.UTF8, "application/json"));
        var betaShadow = await beta.GetAsync($"/api/v1/shadows/{id}");
        var betaDevices = await beta.GetJsonAsync("/api/v1/registry/devices");

        Assert.All(registered, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        await betaShadow.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(id, betaDevices.GetProperty("items")[0].GetProperty("deviceId").GetString());
        using var system = TenantScope.EnterSystem();
        await using var context = _factory.Services.GetRequiredService<IoTixDatabase>().CreateDbContext();
        var shadow = await context.Set<ShadowRecord>().AsNoTracking().SingleAsync(s => s.ThingName.EndsWith(id));
        Assert.Equal("tenants/pg-td-acme-with-a-long-tenant-name/" + id, shadow.ThingName);
        Assert.Equal("pg-td-acme-with-a-long-tenant-name", shadow.TenantId);
        Assert.Equal(2, await context.Set<RegisteredDeviceRecord>().CountAsync(d => d.DeviceId.EndsWith(id)));
    }
}
