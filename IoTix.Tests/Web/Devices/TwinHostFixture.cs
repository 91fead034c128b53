using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IoTix.Tests.Shared;
using MQTTnet;

namespace IoTix.Tests.Web.Devices;

/// <summary>
/// The whole IoTix host (API, simulator, hosted broker on a free port, seed models) for registry, shadow and
/// direct-method tests: simulated devices connect to the hosted broker like real ones.
/// </summary>
public sealed class TwinHostFixture : IAsyncLifetime
{
    public int BrokerPort { get; } = BrokerInstance.FreePort();

    public IoTixWebFactory Factory { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Factory = new IoTixWebFactory
        {
            Settings = IoTixWebFactory.WithHostedBroker(BrokerPort, new() { ["IoTix:Models:Watch"] = "false", ["IoTix:Registry:StatusFlushSeconds"] = "1" }),
        };
        Client = Factory.CreateClient();
        return Task.CompletedTask;
    }

    /// <summary>An MQTT client; one with a client id under <c>tenants/{t}/</c> connects as a user of tenant t (<see cref="TenantMqttUser"/>).</summary>
    public async Task<IMqttClient> ConnectAsync(string clientId)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", BrokerPort)
            .WithClientId(clientId)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithTimeout(BrokerInstance.Timeout);
        if (clientId.StartsWith("tenants/", StringComparison.Ordinal))
        {
            TenantMqttUser.Of(Factory.Services, clientId.Split('/')[1])(options);
        }

        using var cancel = new CancellationTokenSource(BrokerInstance.Timeout);
        await client.ConnectAsync(options.Build(), cancel.Token);
        return client;
    }

    public async Task<JsonNode> RegisterAsync(string deviceId, string? clientId = null, params string[] tags)
    {
        var response = await Client.PostAsJsonAsync("/api/v1/registry/devices", new { deviceId, clientId, tags, attributes = new Dictionary<string, string> { ["site"] = "lab" } });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    public async Task<JsonNode> GetJsonAsync(string path)
    {
        var response = await Client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
    }
}
