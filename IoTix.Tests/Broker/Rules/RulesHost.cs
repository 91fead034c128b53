using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using IoTix.Tests.Shared;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker.Rules;

/// <summary>
/// The whole IoTix host (API, database, hosted broker on a free loopback port) for rules tests, with short circuit
/// breaks; a second host on the same data folder sees the first one's rules (restart tests).
/// </summary>
public sealed class RulesHost : IAsyncDisposable
{
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(30);

    private RulesHost(IoTixWebFactory factory, int mqttPort)
    {
        Factory = factory;
        MqttPort = mqttPort;
        Api = factory.CreateClient();
    }

    public IoTixWebFactory Factory { get; }

    public HttpClient Api { get; }

    public int MqttPort { get; }

    public static RulesHost Start(string? dataFolder = null, IReadOnlyDictionary<string, string?>? settings = null, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? testServices = null)
    {
        var port = BrokerInstance.FreePort();
        var all = new Dictionary<string, string?>
        {
            ["Broker:Enabled"] = "true",
            ["Broker:Listeners:Tcp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Broker:Listeners:WebSocket:Port"] = "0",
            ["Broker:ShutdownDrainSeconds"] = "1",
            ["Broker:Rules:CircuitBreakSeconds"] = "1",
            ["IoTix:Models:Watch"] = "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var factory = dataFolder is null
            ? new IoTixWebFactory { Settings = all, TestServices = testServices }
            : new IoTixWebFactory { DataFolder = dataFolder, Settings = all, TestServices = testServices };
        var host = new RulesHost(factory, port);
        return host;
    }

    public async Task<IMqttClient> ConnectAsync(string clientId)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", MqttPort).WithClientId(clientId).WithTimeout(BrokerInstance.Timeout).Build();
        using var cancel = new CancellationTokenSource(WaitTimeout);
        await client.ConnectAsync(options, cancel.Token);
        return client;
    }

    public static async Task PublishAsync(IMqttClient client, string topic, string payload, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce)
    {
        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(qos).Build());
    }

    /// <summary>POSTs a rule; asserts 201 and answers the created rule.</summary>
    public async Task<JsonElement> CreateRuleAsync(object rule)
    {
        using var response = await Api.PostAsJsonAsync("/api/v1/rules", rule);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>The rule's counters once <paramref name="done"/> holds (polled, up to 30 s).</summary>
    public async Task<JsonElement> WaitForCountersAsync(string ruleId, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow + WaitTimeout;
        JsonElement counters;
        while (true)
        {
            var rule = JsonDocument.Parse(await Api.GetStringAsync($"/api/v1/rules/{ruleId}")).RootElement;
            counters = rule.GetProperty("counters").Clone();
            if (done(counters) || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(50);
        }

        Assert.True(done(counters), $"rule {ruleId} counters did not get there: {counters}");
        return counters;
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await Factory.DisposeAsync();
    }
}

/// <summary>One rules host shared by a test class (each test uses its own rule ids and topics).</summary>
public sealed class RulesHostFixture : IAsyncLifetime
{
    public RulesHost Host { get; } = RulesHost.Start();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
