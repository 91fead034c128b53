using IoTix.Tests.Shared;
using MQTTnet;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace IoTix.Tests.Web.Devices;

/// <summary><c>/api/v1/registry/devices</c>: CRUD with attributes and tags, status from the running broker, bad input (FR-037, FR-038).</summary>
public sealed class RegistryApiTests(TwinHostFixture host) : IClassFixture<TwinHostFixture>
{
    [Fact]
    public async Task Registry_create_read_update_list_and_delete_round_trip()
    {
        var created = await host.Client.PostAsJsonAsync("/api/v1/registry/devices", new { deviceId = "reg-1", name = "Pump 1", attributes = new { site = "north" }, tags = new[] { "pump", "north" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/v1/registry/devices/reg-1", created.Headers.Location!.OriginalString);

        var read = await host.GetJsonAsync("/api/v1/registry/devices/reg-1");
        Assert.Equal("Pump 1", read["name"]!.GetValue<string>());
        Assert.Equal("reg-1", read["clientId"]!.GetValue<string>());
        Assert.Equal("north", read["attributes"]!["site"]!.GetValue<string>());
        Assert.False(read["status"]!["online"]!.GetValue<bool>());

        var updated = await host.Client.PutAsJsonAsync("/api/v1/registry/devices/reg-1", new { clientId = "pump-client-1", name = "Pump one", tags = new[] { "pump" } });
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var listed = await host.GetJsonAsync("/api/v1/registry/devices?tag=pump");
        var item = listed["items"]!.AsArray().Single(d => d!["deviceId"]!.GetValue<string>() == "reg-1")!;
        Assert.Equal("pump-client-1", item["clientId"]!.GetValue<string>());
        Assert.Equal("Pump one", item["name"]!.GetValue<string>());
        var northOnly = await host.GetJsonAsync("/api/v1/registry/devices?tag=north");
        Assert.DoesNotContain(northOnly["items"]!.AsArray(), d => d!["deviceId"]!.GetValue<string>() == "reg-1");

        Assert.Equal(HttpStatusCode.NoContent, (await host.Client.DeleteAsync("/api/v1/registry/devices/reg-1")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync("/api/v1/registry/devices/reg-1")).StatusCode);
    }

    [Fact]
    public async Task Registered_device_shows_online_while_its_client_is_connected_and_offline_with_last_seen_after()
    {
        await host.RegisterAsync("reg-2", "reg-2-client");
        var client = await host.ConnectAsync("reg-2-client");

        var online = await Eventually.GetAsync(async () =>
        {
            var device = await host.GetJsonAsync("/api/v1/registry/devices/reg-2");
            return device["status"]!["online"]!.GetValue<bool>() ? device : null;
        }, "online");
        await client.DisconnectAsync();
        client.Dispose();
        var offline = await Eventually.GetAsync(async () =>
        {
            var device = await host.GetJsonAsync("/api/v1/registry/devices?status=offline");
            return device["items"]!.AsArray().FirstOrDefault(d => d!["deviceId"]!.GetValue<string>() == "reg-2");
        }, "offline");

        Assert.NotNull(online["status"]!["connectedAt"]);
        Assert.NotNull(offline["status"]!["lastSeen"]);
        Assert.NotNull(offline["status"]!["disconnectedAt"]);
    }

    [Fact]
    public async Task Duplicate_device_id_is_a_conflict()
    {
        await host.RegisterAsync("reg-3");

        var again = await host.Client.PostAsJsonAsync("/api/v1/registry/devices", new { deviceId = "reg-3" });

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("already exists", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"name":"no id"}""", "deviceId")]
    [InlineData("""{"deviceId":"a/b"}""", "deviceId")]
    [InlineData("""{"deviceId":"ok-4","tags":[""]}""", "tags")]
    [InlineData("""{"deviceId":"ok-5","colour":"red"}""", "colour")]
    [InlineData("""{"deviceId":"ok-6","attributes":{"a":1}}""", "attributes")]
    public async Task Bad_registration_is_a_400_problem_naming_the_field(string body, string field)
    {
        var response = await host.Client.PostAsync("/api/v1/registry/devices", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains(problem["errors"]!.AsObject(), e => e.Key.StartsWith(field, StringComparison.Ordinal));
    }
}
