using System.Net;
using IoTix.Tests.Shared;
using IoTix.Web.Accounts;
using IoTix.Web.Simulations;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Web.Api;

/// <summary>
/// Restart survival through the API: a host is stopped and a new one started on the same database. Runs on SQLite
/// and on a throwaway PostgreSQL (subclasses below).
/// </summary>
public abstract class SimulationPersistenceTests : IAsyncLifetime
{
    private const string ApiModel = "persisted-sensor";

    private readonly string _models = Directory.CreateTempSubdirectory("iotix-persist-models-").FullName;
    private readonly string _data = Directory.CreateTempSubdirectory("iotix-persist-data-").FullName;

    /// <summary>Settings selecting this test's database (a new one per test).</summary>
    protected abstract Task<Dictionary<string, string?>> DatabaseAsync();

    public Task InitializeAsync()
    {
        File.WriteAllText(Path.Combine(_models, "file-sensor.json"), ApiTestHost.Model(ApiFixture.FileModelId));
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        BrokerInstance.DeleteFolder(_data);
        BrokerInstance.DeleteFolder(_models);
        return Task.CompletedTask;
    }

    private IoTixWebFactory Host(Dictionary<string, string?> database, bool resume = true)
    {
        var settings = new Dictionary<string, string?>(database) { ["IoTix:Simulation:ResumeOnStart"] = resume ? "true" : "false" };
        return ApiTestHost.CreateFactory(_models, _data, settings);
    }

    /// <summary>Before the restart: an API model; a running group of 50 and an idle group; a running and an idle single device.</summary>
    private static async Task ArrangeAsync(HttpClient client)
    {
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync("/api/v1/models", ApiTestHost.Model(ApiModel, name: "Persisted"))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{ApiModel}}", "count": 50, "groupId": "g-run", "idPattern": "run-{index}"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "count": 5, "groupId": "g-idle"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostJsonAsync("/api/v1/groups/g-run/start", """{"strategy": "batch", "batchSize": 10, "delayMs": 5}""")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync("/api/v1/devices", $$"""{"modelId": "{{ApiModel}}", "deviceId": "d-run"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/api/v1/devices/d-run/start", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync("/api/v1/devices", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "deviceId": "d-idle"}""")).StatusCode);
        await client.WaitForAsync("/api/v1/groups/g-run", g => g.GetProperty("runningDeviceCount").GetInt32() == 50, "g-run running");
        await client.WaitForAsync("/api/v1/devices/d-run", d => d.GetProperty("state").GetString() == "running", "d-run running");
    }

    [Fact]
    public async Task Api_models_groups_and_devices_survive_a_restart_and_what_ran_resumes()
    {
        var database = await DatabaseAsync();
        await using (var before = Host(database))
        {
            await ArrangeAsync(before.CreateClient());
        }

        await using var after = Host(database);
        var client = after.CreateClient();

        using var model = await client.GetAsync($"/api/v1/models/{ApiModel}");
        Assert.Equal(HttpStatusCode.OK, model.StatusCode);
        Assert.Equal("api", model.Headers.GetValues("X-IoTix-Model-Source").Single());
        Assert.Equal("Persisted", (await model.JsonAsync()).GetProperty("name").GetString());
        var running = await client.WaitForAsync("/api/v1/groups/g-run", g => g.GetProperty("runningDeviceCount").GetInt32() == 50, "g-run resumed");
        Assert.True(running.GetProperty("running").GetBoolean());
        Assert.Equal("batch", running.GetProperty("launch").GetProperty("strategy").GetString());
        Assert.Equal("run-49", (await client.GetJsonAsync("/api/v1/devices/run-49")).GetProperty("deviceId").GetString());
        var idle = await client.GetJsonAsync("/api/v1/groups/g-idle");
        Assert.False(idle.GetProperty("running").GetBoolean());
        Assert.Equal(5, idle.GetProperty("devicesByState").GetProperty("created").GetInt32());
        var device = await client.WaitForAsync("/api/v1/devices/d-run", d => d.GetProperty("state").GetString() == "running", "d-run resumed");
        Assert.Equal("running", device.GetProperty("desiredState").GetString());
        var idleDevice = await client.GetJsonAsync("/api/v1/devices/d-idle");
        Assert.Equal("created", idleDevice.GetProperty("state").GetString());
        Assert.Equal("stopped", idleDevice.GetProperty("desiredState").GetString());
        var runs = await client.GetJsonAsync("/api/v1/groups/g-run/runs");
        Assert.Equal(2, runs.GetArrayLength());
        Assert.True(runs[0].GetProperty("resumed").GetBoolean());
        Assert.Equal("host-stopped", runs[1].GetProperty("endReason").GetString());
        Assert.Equal(50, runs[1].GetProperty("runningDevicesAtEnd").GetInt32());
    }

    private static async Task<HttpClient[]> ClientsAsync(IoTixWebFactory host) =>
    [
        host.CreateClient(),
        await host.CreateClientForAsync(TenantRoles.Owner, "alpha"),
        await host.CreateClientForAsync(TenantRoles.Owner, "beta"),
    ];

    /// <summary>The same model, group and device ids in three tenants (composite keys TenantId + id), each back in its namespace and resumed.</summary>
    [Fact]
    public async Task The_same_ids_in_three_tenants_come_back_after_a_restart_each_in_its_namespace()
    {
        var database = await DatabaseAsync();
        string[] names = ["default's", "alpha's", "beta's"];
        await using (var before = Host(database))
        {
            var clients = await ClientsAsync(before);
            for (int i = 0; i < clients.Length; i++)
            {
                await IoTix.Tests.Web.Simulations.TenantSimulationTests.ArrangeSameIdsAsync(clients[i], names[i]);
                Assert.Equal(HttpStatusCode.Accepted, (await clients[i].PostJsonAsync("/api/v1/groups/g1/start", "{}")).StatusCode);
                Assert.Equal(HttpStatusCode.Accepted, (await clients[i].PostAsync("/api/v1/devices/s1/start", null)).StatusCode);
            }

            // beta stops its single device: its desired state is kept apart from the others' s1.
            await clients[2].WaitForAsync("/api/v1/devices/s1", d => d.GetProperty("state").GetString() == "running", "beta's s1 running");
            Assert.Equal(HttpStatusCode.OK, (await clients[2].PostAsync("/api/v1/devices/s1/stop", null)).StatusCode);
            foreach (var client in clients)
            {
                await client.WaitForAsync("/api/v1/groups/g1", g => g.GetProperty("runningDeviceCount").GetInt32() == 2, "g1 running");
            }
        }

        await using var after = Host(database);
        var restarted = await ClientsAsync(after);

        for (int i = 0; i < restarted.Length; i++)
        {
            var group = await restarted[i].WaitForAsync("/api/v1/groups/g1", g => g.GetProperty("runningDeviceCount").GetInt32() == 2, $"{names[i]} g1 resumed");
            Assert.Equal("g1", group.GetProperty("groupId").GetString());
            Assert.Equal(names[i], (await restarted[i].GetJsonAsync("/api/v1/models/m1")).GetProperty("name").GetString());
            Assert.Equal(2, (await restarted[i].GetJsonAsync("/api/v1/groups/g1/runs")).GetArrayLength());
            Assert.Equal(3, (await restarted[i].GetJsonAsync("/api/v1/stats")).GetProperty("deviceCount").GetInt32());
        }

        Assert.Equal("running", (await restarted[1].WaitForAsync("/api/v1/devices/s1", d => d.GetProperty("state").GetString() == "running", "alpha's s1 resumed")).GetProperty("desiredState").GetString());
        var stopped = await restarted[2].GetJsonAsync("/api/v1/devices/s1");
        Assert.Equal(("created", "stopped"), (stopped.GetProperty("state").GetString(), stopped.GetProperty("desiredState").GetString()));
    }

    [Fact]
    public async Task A_device_added_to_a_group_comes_back_in_the_group_with_its_endpoint_and_goes_with_the_group()
    {
        var database = await DatabaseAsync();
        await using (var before = Host(database))
        {
            var c = before.CreateClient();
            await ArrangeAsync(c);
            using var added = await c.PostJsonAsync("/api/v1/devices", $$"""{"modelId": "{{ApiModel}}", "groupId": "g-run", "endpoint": "127.0.0.1:9"}""");
            var body = await added.JsonAsync();
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            Assert.Equal(("run-50", "g-run", 50), (body.GetProperty("deviceId").GetString(), body.GetProperty("groupId").GetString(), body.GetProperty("index").GetInt32()));
        }

        await using (var after = Host(database))
        {
            var client = after.CreateClient();

            // Resumed with its group, with its own endpoint.
            var device = await client.WaitForAsync("/api/v1/devices/run-50", d => d.GetProperty("state").GetString() == "running", "run-50 resumed");
            var adapter = (RecordingProtocolAdapter)after.Services.GetServices<IoTix.Core.Protocols.IProtocolAdapter>().Single();
            Assert.Equal("g-run", device.GetProperty("groupId").GetString());
            Assert.Equal("127.0.0.1:9", adapter.Connection("run-50").Context.EndpointOverride);
            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/api/v1/groups/g-run")).StatusCode);
        }

        await using var last = Host(database);
        using var gone = await last.CreateClient().GetAsync("/api/v1/devices/run-50");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Settings_are_kept_across_a_restart_and_can_be_replaced_and_deleted()
    {
        var database = await DatabaseAsync();
        await using (var before = Host(database))
        {
            var store = before.Services.GetRequiredService<ISettingsStore>();
            Assert.True(await store.SetAsync("console.theme", "dark"));
            Assert.True(await store.SetAsync("console.refreshMs", "500"));
            Assert.True(await store.SetAsync("console.theme", "light"));
            Assert.True(await store.DeleteAsync("console.refreshMs"));
        }

        await using var after = Host(database);
        var restarted = after.Services.GetRequiredService<ISettingsStore>();

        Assert.Equal("light", await restarted.GetAsync("console.theme"));
        Assert.Null(await restarted.GetAsync("console.refreshMs"));
        var all = await restarted.ListAsync();
        Assert.NotNull(all);
        Assert.Equal("light", Assert.Single(all).Value);
    }

    [Fact]
    public async Task With_resume_off_groups_and_devices_come_back_stopped()
    {
        var database = await DatabaseAsync();
        await using (var before = Host(database))
        {
            await ArrangeAsync(before.CreateClient());
        }

        await using var after = Host(database, resume: false);
        var client = after.CreateClient();

        var group = await client.GetJsonAsync("/api/v1/groups/g-run");
        Assert.False(group.GetProperty("running").GetBoolean());
        Assert.Equal(50, group.GetProperty("devicesByState").GetProperty("created").GetInt32());
        Assert.Equal("created", (await client.GetJsonAsync("/api/v1/devices/d-run")).GetProperty("state").GetString());
        Assert.Equal(0, (await client.GetJsonAsync("/api/v1/stats")).GetProperty("runningDeviceCount").GetInt32());
    }

    [Fact]
    public async Task Deleted_models_groups_and_devices_stay_deleted_after_a_restart()
    {
        var database = await DatabaseAsync();
        await using (var before = Host(database))
        {
            var client = before.CreateClient();
            await ArrangeAsync(client);
            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/api/v1/groups/g-run")).StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/api/v1/devices/d-run")).StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/models/{ApiModel}")).StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/api/v1/groups/g-idle/start", null)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/v1/groups/g-idle/stop", null)).StatusCode);
        }

        await using var after = Host(database);
        var restarted = after.CreateClient();

        Assert.Equal(HttpStatusCode.NotFound, (await restarted.GetAsync($"/api/v1/models/{ApiModel}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await restarted.GetAsync("/api/v1/groups/g-run")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await restarted.GetAsync("/api/v1/devices/d-run")).StatusCode);
        var idle = await restarted.GetJsonAsync("/api/v1/groups/g-idle");
        Assert.False(idle.GetProperty("running").GetBoolean());
        Assert.Equal("immediate", idle.GetProperty("launch").GetProperty("strategy").GetString());
        Assert.Equal(5, idle.GetProperty("devicesByState").GetProperty("created").GetInt32());
    }
}

public sealed class SqliteSimulationPersistenceTests : SimulationPersistenceTests
{
    protected override Task<Dictionary<string, string?>> DatabaseAsync() => Task.FromResult(new Dictionary<string, string?>());
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresSimulationPersistenceTests(PostgresFixture postgres) : SimulationPersistenceTests
{
    protected override async Task<Dictionary<string, string?>> DatabaseAsync() => new()
    {
        ["Database:Provider"] = "postgresql",
        ["ConnectionStrings:IoTix"] = await postgres.CreateDatabaseAsync("iotix_sim"),
    };
}
