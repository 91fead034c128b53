using System.Net;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;

namespace IoTix.Tests.Web.Simulations;

/// <summary>
/// The same model, group and device ids in the default tenant and two others survive a host restart (composite keys
/// TenantId + id), each back in its own namespace and resumed. On SQLite and on a throwaway PostgreSQL.
/// </summary>
public abstract class TenantPersistenceTests : IAsyncLifetime
{
    private readonly string _models = Directory.CreateTempSubdirectory("iotix-tenant-persist-models-").FullName;
    private readonly string _data = Directory.CreateTempSubdirectory("iotix-tenant-persist-data-").FullName;

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

    private IoTixWebFactory Host(Dictionary<string, string?> database) =>
        ApiTestHost.CreateFactory(_models, _data, new Dictionary<string, string?>(database) { ["IoTix:Simulation:ResumeOnStart"] = "true" });

    private static async Task<HttpClient[]> ClientsAsync(IoTixWebFactory host) =>
    [
        host.CreateClient(),
        await host.CreateClientForAsync(TenantRoles.Owner, "alpha"),
        await host.CreateClientForAsync(TenantRoles.Owner, "beta"),
    ];

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
                await TenantSimulationTests.ArrangeSameIdsAsync(clients[i], names[i]);
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
}

public sealed class SqliteTenantPersistenceTests : TenantPersistenceTests
{
    protected override Task<Dictionary<string, string?>> DatabaseAsync() => Task.FromResult(new Dictionary<string, string?>());
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresTenantPersistenceTests(PostgresFixture postgres) : TenantPersistenceTests
{
    protected override async Task<Dictionary<string, string?>> DatabaseAsync() => new()
    {
        ["Database:Provider"] = "postgresql",
        ["ConnectionStrings:IoTix"] = await postgres.CreateDatabaseAsync("iotix_tenant_sim"),
    };
}
