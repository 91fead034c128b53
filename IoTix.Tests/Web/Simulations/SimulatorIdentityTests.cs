using System.Collections.Concurrent;
using System.Net;
using System.Text;
using IoTix.Broker.Admin;
using IoTix.Broker.Security;
using IoTix.Core.Devices;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;
using IoTix.Web.LiveMetrics;
using IoTix.Web.MqttUsers;
using IoTix.Web.Simulations;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Web.Simulations;

/// <summary>
/// Simulated devices on the hosted broker with anonymous access off: they connect as their tenant's internal simulator
/// identity (<c>{tenant}/iotix-simulator</c>, default tenant <c>iotix-simulator</c>), which the broker confines like the
/// tenant's own MQTT users; a model's own credentials are kept; the identity's name is reserved and its password never logged.
/// </summary>
public sealed class SimulatorIdentityTests : IAsyncLifetime
{
    private const string Alpha = "sim-alpha";
    private readonly string _models = Directory.CreateTempSubdirectory("iotix-simulator-identity-models-").FullName;
    private readonly int _port = BrokerInstance.FreePort();
    private readonly ListLoggerProvider _logs = new();
    private readonly ConcurrentDictionary<string, int> _received = new(StringComparer.Ordinal);
    private IoTixWebFactory _factory = null!;
    private IMqttClient _watcher = null!;

    public async Task InitializeAsync()
    {
        File.WriteAllText(Path.Combine(_models, "sim-sensor.json"), Model("sim-sensor", "devices/${deviceId}/telemetry"));
        File.WriteAllText(Path.Combine(_models, "sim-foreign-topic.json"), Model("sim-foreign-topic", "tenants/sim-beta/devices/${deviceId}/telemetry"));
        File.WriteAllText(Path.Combine(_models, "sim-raw.json"), Model("sim-raw", "devices/${deviceId}/telemetry", """, "clientIdPattern": "tenants/sim-alpha/${deviceId}" """));
        File.WriteAllText(Path.Combine(_models, "sim-own.json"), Model("sim-own", "devices/${deviceId}/telemetry", """, "credentials": { "username": "sim-alpha/fleet", "password": "alpha-fleet-password" } """));
        _factory = new IoTixWebFactory
        {
            Settings = IoTixWebFactory.WithHostedBroker(_port, new()
            {
                ["Broker:AllowAnonymous"] = "false",
                ["Broker:Users:0:Username"] = "watcher",
                ["Broker:Users:0:PasswordHash"] = BrokerPasswordHasher.HashPassword("watcher-secret", 1),
                ["IoTix:Models:Path"] = _models,
                ["IoTix:Models:Watch"] = "false",
                ["Logging:LogLevel:Default"] = "Trace",
            }),
            TestServices = services => services.AddSingleton<ILoggerProvider>(_logs),
        };
        _ = _factory.Server;
        _watcher = new MqttClientFactory().CreateMqttClient();
        _watcher.ApplicationMessageReceivedAsync += e =>
        {
            _received.AddOrUpdate(e.ApplicationMessage.Topic, 1, static (_, n) => n + 1);
            return Task.CompletedTask;
        };
        await _watcher.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _port).WithClientId("sim-watcher").WithCredentials("watcher", "watcher-secret").WithTimeout(BrokerInstance.Timeout).Build());
        await _watcher.SubscribeAsync("#", MqttQualityOfServiceLevel.AtLeastOnce);
    }

    public async Task DisposeAsync()
    {
        _watcher.Dispose();
        await _factory.DisposeAsync();
        BrokerInstance.DeleteFolder(_models);
    }

    [Fact]
    public async Task Tenant_and_default_devices_connect_without_anonymous_access_and_publish_in_their_namespaces()
    {
        using var alpha = await StartInAlphaAndDefaultAsync("d1");

        var clients = await _factory.Services.GetRequiredService<IBrokerAdmin>().GetClientsAsync();

        Assert.Equal("sim-alpha/iotix-simulator", Assert.Single(clients, c => c.ClientId == "tenants/sim-alpha/d1").UserName);
        Assert.Equal("iotix-simulator", Assert.Single(clients, c => c.ClientId == "d1").UserName);
        Assert.Equal("running", (await alpha.GetJsonAsync("/api/v1/devices/d1/metrics")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task The_device_inspector_subscribes_as_the_tenants_simulator_identity()
    {
        using var alpha = await _factory.CreateClientForAsync(TenantRoles.Owner, Alpha);
        await StartDeviceAsync(alpha, "sim-sensor", "inspected");
        await Eventually.TrueAsync(() => _received.GetValueOrDefault("tenants/sim-alpha/devices/inspected/telemetry") >= 1, "the device publishing");

        using var scope = TenantScope.Enter(Alpha);
        var result = await _factory.Services.GetRequiredService<DeviceInspector>().InspectAsync("inspected");
        await using var inspection = result.Inspection!;
        await Eventually.TrueAsync(() => inspection.PayloadsReceived >= 2 || inspection.PayloadError is not null, "payloads or an error");

        Assert.Null(inspection.PayloadError);
        Assert.Equal(["tenants/sim-alpha/devices/inspected/telemetry"], inspection.Topics);
    }

    [Fact]
    public async Task The_simulator_password_never_appears_in_the_logs()
    {
        using var alpha = await StartInAlphaAndDefaultAsync("logged");
        var identities = _factory.Services.GetRequiredService<SimulatorIdentity>();
        var passwords = new[] { Encoding.UTF8.GetString(identities.Of(Alpha).Password.Span), Encoding.UTF8.GetString(identities.Of("default").Password.Span) };

        var entries = _logs.Entries;

        Assert.Contains(entries, e => e.Id.Id == 1010 && e.Message.Contains("sim-alpha/iotix-simulator", StringComparison.Ordinal)); // the connects were logged
        Assert.Contains(entries, e => e.Level == LogLevel.Trace);
        Assert.All(passwords, p => Assert.True(p.Length >= 40, "a 256-bit password"));
        Assert.DoesNotContain(entries, e => passwords.Any(p => e.Message.Contains(p, StringComparison.Ordinal)));
        Assert.DoesNotContain(identities.Of(Alpha).ToString(), passwords[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_topic_naming_another_tenant_stays_inside_the_devices_own_namespace()
    {
        using var alpha = await _factory.CreateClientForAsync(TenantRoles.Owner, Alpha);

        await StartDeviceAsync(alpha, "sim-foreign-topic", "f1");
        await Eventually.TrueAsync(() => _received.GetValueOrDefault("tenants/sim-alpha/tenants/sim-beta/devices/f1/telemetry") >= 2, "the device publishing");

        Assert.DoesNotContain(_received.Keys, t => t.StartsWith("tenants/sim-beta/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_broker_confines_a_device_with_the_tenants_simulator_identity_to_the_tenants_namespace()
    {
        using var alpha = await _factory.CreateClientForAsync(TenantRoles.Owner, Alpha);
        var orchestrator = _factory.Services.GetRequiredService<SimulationOrchestrator>();
        Assert.True(orchestrator.TryGetModel("sim-raw", out var model));
        var credentials = _factory.Services.GetRequiredService<SimulatorIdentity>().Of(Alpha);

        // Built in the engine with no namespace: its client id is in alpha's namespace, its topic is not.
        var created = orchestrator.Engine.CreateDevice(model, new DeviceSpec { DeviceId = "escape-1", CredentialsOverride = credentials });
        Assert.True(created.Succeeded, created.Error?.Message);
        try
        {
            Assert.True(orchestrator.Engine.StartDevice("escape-1").Succeeded);
            var letters = await Eventually.GetAsync(async () =>
            {
                var items = (await alpha.GetJsonAsync("/api/v1/dead-letters")).GetProperty("items").EnumerateArray().ToList();
                return items.Count(d => d.GetProperty("message").GetProperty("topic").GetString() == "devices/escape-1/telemetry") >= 2 ? items : null;
            }, "alpha's dead letters of the refused publishes");

            Assert.All(
                letters.Where(d => d.GetProperty("message").GetProperty("topic").GetString() == "devices/escape-1/telemetry"),
                d => Assert.Equal("acl_denied", d.GetProperty("reason").GetString()));
            Assert.Equal("sim-alpha/iotix-simulator", (await _factory.Services.GetRequiredService<IBrokerAdmin>().GetClientsAsync()).Single(c => c.ClientId == "tenants/sim-alpha/escape-1").UserName);
            Assert.False(_received.ContainsKey("devices/escape-1/telemetry"));
        }
        finally
        {
            orchestrator.Engine.DeleteDevice("escape-1");
        }
    }

    [Fact]
    public async Task A_model_with_its_own_credentials_keeps_them()
    {
        using var alpha = await _factory.CreateClientForAsync(TenantRoles.Owner, Alpha);
        using var user = await alpha.PostJsonAsync("/api/v1/mqtt-users", """{"name": "fleet", "password": "alpha-fleet-password"}""");
        Assert.Equal(HttpStatusCode.Created, user.StatusCode);

        await StartDeviceAsync(alpha, "sim-own", "o1");
        await Eventually.TrueAsync(() => _received.GetValueOrDefault("tenants/sim-alpha/devices/o1/telemetry") >= 2, "the device publishing");
        var clients = await _factory.Services.GetRequiredService<IBrokerAdmin>().GetClientsAsync();

        Assert.Equal("sim-alpha/fleet", Assert.Single(clients, c => c.ClientId == "tenants/sim-alpha/o1").UserName);
    }

    [Theory]
    [InlineData("default", "iotix-simulator", "'iotix-simulator' is reserved")]
    [InlineData(Alpha, "iotix-simulator", "'sim-alpha/iotix-simulator' is the internal identity")]
    [InlineData(Alpha, "IoTix-Simulator", "'iotix-simulator' is reserved")]
    public async Task The_simulator_name_cannot_be_created_and_is_never_listed(string tenant, string name, string message)
    {
        using var client = await _factory.CreateClientForAsync(TenantRoles.Owner, tenant);
        await StartDeviceAsync(client, "sim-sensor", "listed-" + name.ToLowerInvariant()); // the identity exists now

        using var created = await client.PostJsonAsync("/api/v1/mqtt-users", $$"""{"name": "{{name}}"}""");
        var list = await client.GetJsonAsync("/api/v1/mqtt-users");

        Assert.Contains(message, await created.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "name"), StringComparison.Ordinal);
        Assert.DoesNotContain(list.EnumerateArray(), u => u.GetProperty("name").GetString()!.Equals("iotix-simulator", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void A_configured_broker_user_with_the_reserved_name_fails_validation_naming_the_key()
    {
        var options = new IoTix.Broker.BrokerOptions { Users = [new() { Username = "ops" }, new() { Username = "acme/iotix-simulator" }] };

        var result = new ReservedBrokerUsersValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Broker:Users:1:Username", result.FailureMessage, StringComparison.Ordinal);
    }

    /// <summary>Starts a <c>sim-sensor</c> device <paramref name="deviceId"/> in tenant alpha and in the default tenant and waits for both to publish; answers alpha's API client.</summary>
    private async Task<HttpClient> StartInAlphaAndDefaultAsync(string deviceId)
    {
        var alpha = await _factory.CreateClientForAsync(TenantRoles.Owner, Alpha);
        using var platform = _factory.CreateClient();
        await StartDeviceAsync(alpha, "sim-sensor", deviceId);
        await StartDeviceAsync(platform, "sim-sensor", deviceId);
        await Eventually.TrueAsync(
            () => _received.GetValueOrDefault($"tenants/sim-alpha/devices/{deviceId}/telemetry") >= 3 && _received.GetValueOrDefault($"devices/{deviceId}/telemetry") >= 3,
            "both devices publishing");
        return alpha;
    }

    private static async Task StartDeviceAsync(HttpClient client, string modelId, string deviceId)
    {
        using var created = await client.PostJsonAsync("/api/v1/devices", $$"""{"modelId": "{{modelId}}", "deviceId": "{{deviceId}}"}""");
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        using var started = await client.PostAsync($"/api/v1/devices/{deviceId}/start", null);
        Assert.True(started.StatusCode == HttpStatusCode.Accepted, await started.Content.ReadAsStringAsync());
    }

    private static string Model(string id, string topic, string extraConnection = "") => $$"""
        {
          "id": "{{id}}",
          "name": "{{id}}",
          "type": "sensor",
          "protocol": "mqtt",
          "connection": { "broker": "localhost", "port": 1883, "qos": 1, "topicPattern": "{{topic}}"{{extraConnection}} },
          "telemetry": [ { "name": "temperature", "type": "number", "generator": { "type": "random", "min": 20.0, "max": 30.0 }, "intervalMs": 200 } ]
        }
        """;
}
