using System.Collections.Concurrent;
using System.Net;
using System.Text;
using IoTix.Broker.Admin;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;

namespace IoTix.Tests.Web.Simulations;

/// <summary>
/// Two tenants' devices of the same id run at once against the hosted broker (the real MQTT adapter, a free loopback
/// port): each publishes under its tenant's prefix with client id <c>tenants/{tenant}/{id}</c>, and neither takes
/// the other's session over.
/// </summary>
public sealed class TenantBrokerTests : IAsyncLifetime
{
    private readonly string _models = Directory.CreateTempSubdirectory("iotix-tenant-broker-models-").FullName;
    private readonly int _port = BrokerInstance.FreePort();
    private IoTixWebFactory _factory = null!;

    public Task InitializeAsync()
    {
        File.WriteAllText(Path.Combine(_models, "fast-sensor.json"), ApiTestHost.Model("fast-sensor", intervalMs: 200));
        _factory = new IoTixWebFactory
        {
            Settings = IoTixWebFactory.WithHostedBroker(_port, new() { ["IoTix:Models:Path"] = _models, ["IoTix:Models:Watch"] = "false" }),
        };
        _ = _factory.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        BrokerInstance.DeleteFolder(_models);
    }

    [Fact]
    public async Task Devices_of_the_same_id_in_two_tenants_publish_under_their_prefixes_with_their_own_sessions()
    {
        using var a = await _factory.CreateClientForAsync(TenantRoles.Owner, "alpha");
        using var b = await _factory.CreateClientForAsync(TenantRoles.Owner, "beta");
        var received = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var payloads = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        using var subscriber = new MqttClientFactory().CreateMqttClient();
        subscriber.ApplicationMessageReceivedAsync += e =>
        {
            received.AddOrUpdate(e.ApplicationMessage.Topic, 1, static (_, n) => n + 1);
            payloads[e.ApplicationMessage.Topic] = Encoding.UTF8.GetString(e.ApplicationMessage.Payload);
            return Task.CompletedTask;
        };
        await subscriber.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _port).WithClientId("tenant-watcher").WithTimeout(BrokerInstance.Timeout).Build());
        await subscriber.SubscribeAsync("tenants/#");
        await subscriber.SubscribeAsync("devices/#");

        foreach (var client in new[] { a, b })
        {
            Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync("/api/v1/devices", """{"modelId": "fast-sensor", "deviceId": "d1"}""")).StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/api/v1/devices/d1/start", null)).StatusCode);
        }

        const string TopicA = "tenants/alpha/devices/d1/telemetry";
        const string TopicB = "tenants/beta/devices/d1/telemetry";
        await Eventually.TrueAsync(() => received.GetValueOrDefault(TopicA) >= 5 && received.GetValueOrDefault(TopicB) >= 5, "both tenants' d1 publishing");
        var clients = (await _factory.Services.GetRequiredService<IBrokerAdmin>().GetClientsAsync()).Select(c => c.ClientId).ToList();
        var metricsA = await a.GetJsonAsync("/api/v1/devices/d1/metrics");
        var metricsB = await b.GetJsonAsync("/api/v1/devices/d1/metrics");

        Assert.Contains("tenants/alpha/d1", clients);
        Assert.Contains("tenants/beta/d1", clients);
        Assert.DoesNotContain("d1", clients);
        Assert.DoesNotContain(received.Keys, t => t.StartsWith("devices/", StringComparison.Ordinal));
        Assert.Contains("\"deviceId\":\"d1\"", payloads[TopicA], StringComparison.Ordinal);
        Assert.Equal((0, 0, "running"), (metricsA.GetProperty("drops").GetInt32(), metricsA.GetProperty("reconnects").GetInt32(), metricsA.GetProperty("state").GetString()));
        Assert.Equal((0, 0, "running"), (metricsB.GetProperty("drops").GetInt32(), metricsB.GetProperty("reconnects").GetInt32(), metricsB.GetProperty("state").GetString()));
    }
}
