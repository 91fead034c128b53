using Microsoft.Extensions.DependencyInjection;
using IoTix.Tests.Shared;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Web.Devices;

/// <summary>
/// The whole twin round trip inside IoTix: a simulated smart valve (seed model) on the hosted broker applies desired
/// state from the API and reports it back, and answers direct methods invoked through the API (FR-035..FR-039).
/// </summary>
public sealed class DeviceTwinRoundTripTests(TwinHostFixture host) : IClassFixture<TwinHostFixture>
{
    [Fact]
    public async Task Simulated_valve_applies_desired_state_and_the_shadow_converges()
    {
        await StartValveAsync("twin-valve-1");

        var patch = await host.Client.PatchAsync("/api/v1/shadows/twin-valve-1", JsonContent.Create(JsonNode.Parse("""{"state":{"desired":{"position":30,"mode":"manual"}}}""")));
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);

        var converged = await Eventually.GetAsync(async () =>
        {
            var document = await host.GetJsonAsync("/api/v1/shadows/twin-valve-1");
            var reported = document["state"]!["reported"];
            return reported?["position"]?.GetValue<double>() == 30 && document["state"]!["delta"] is null ? document : null;
        }, "reported position 30 and no delta");
        Assert.Equal("manual", converged["state"]!["reported"]!["mode"]!.GetValue<string>());
    }

    [Fact]
    public async Task Simulated_valve_answers_direct_methods_invoked_through_the_api()
    {
        await StartValveAsync("twin-valve-2");

        var move = await host.Client.PostAsJsonAsync("/api/v1/registry/devices/twin-valve-2/methods/move", new { payload = new { target = 55 }, timeoutSeconds = 20 });
        var status = await host.Client.PostAsJsonAsync("/api/v1/registry/devices/twin-valve-2/methods/getStatus", new { timeoutSeconds = 20 });

        Assert.Equal(HttpStatusCode.OK, move.StatusCode);
        var moved = JsonNode.Parse(await move.Content.ReadAsStringAsync())!;
        Assert.Equal(200, moved["status"]!.GetValue<int>());
        Assert.Equal("moved", moved["payload"]!["result"]!.GetValue<string>());
        Assert.Equal(55, moved["payload"]!["position"]!.GetValue<double>());
        var answered = JsonNode.Parse(await status.Content.ReadAsStringAsync())!;
        Assert.Equal(55, answered["payload"]!["position"]!.GetValue<double>());
    }

    [Fact]
    public async Task Simulated_device_answers_with_its_models_status_over_the_mqtt5_status_property()
    {
        var model = """
            { "id": "twin-pinger", "name": "Pinger", "type": "sensor", "protocol": "mqtt", "connection": { "mqttVersion": "5" },
              "telemetry": [ { "name": "t", "type": "number", "generator": { "type": "constant", "value": 1 }, "intervalMs": 60000 } ],
              "commands": [ { "name": "ping", "topic": "$iotix/things/${deviceId}/methods/ping",
                              "response": { "status": 202, "payload": { "pong": "${deviceId}", "asked": "${question}" } } } ] }
            """;
        var created = await host.Client.PostAsync("/api/v1/models", new StringContent(model, System.Text.Encoding.UTF8, "application/json"));
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        Assert.True((await host.Client.PostAsJsonAsync("/api/v1/devices", new { modelId = "twin-pinger", deviceId = "twin-pinger-4" })).IsSuccessStatusCode);
        Assert.True((await host.Client.PostAsync("/api/v1/devices/twin-pinger-4/start", null)).IsSuccessStatusCode);
        await Eventually.GetAsync(() => host.Factory.Services.GetRequiredService<IoTix.Web.Devices.IDeviceRegistry>().LiveStatus(IoTix.Web.Tenancy.Tenants.Default, "twin-pinger-4") is { Online: true } s ? s : null, "twin-pinger-4 online");
        await RunningAsync("twin-pinger-4");

        // Not registered: a thing the broker has seen under its own name as client id is reachable.
        var answer = await host.Client.PostAsJsonAsync("/api/v1/registry/devices/twin-pinger-4/methods/ping", new { payload = new { question = "are you there" }, timeoutSeconds = 20 });

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var body = JsonNode.Parse(await answer.Content.ReadAsStringAsync())!;
        Assert.Equal(202, body["status"]!.GetValue<int>());
        Assert.Equal("twin-pinger-4", body["payload"]!["pong"]!.GetValue<string>());
        Assert.Equal("are you there", body["payload"]!["asked"]!.GetValue<string>());
    }

    [Fact]
    public async Task Method_on_an_unknown_device_is_404_on_an_offline_one_409_and_unanswered_504()
    {
        await host.RegisterAsync("twin-offline-3", "twin-offline-3-client");
        using var silent = await host.ConnectAsync("twin-silent-3");
        await silent.SubscribeAsync("$iotix/things/twin-silent-3/methods/+", MqttQualityOfServiceLevel.AtLeastOnce);

        var unknown = await host.Client.PostAsJsonAsync("/api/v1/registry/devices/twin-nobody-3/methods/reboot", new { });
        var offline = await host.Client.PostAsJsonAsync("/api/v1/registry/devices/twin-offline-3/methods/reboot", new { });
        var timeout = await host.Client.PostAsJsonAsync("/api/v1/registry/devices/twin-silent-3/methods/reboot", new { timeoutSeconds = 1 });
        var badTimeout = await host.Client.PostAsJsonAsync("/api/v1/registry/devices/twin-silent-3/methods/reboot", new { timeoutSeconds = -2 });

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, offline.StatusCode);
        Assert.Contains("not connected", await offline.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.GatewayTimeout, timeout.StatusCode);
        Assert.Contains("did not answer", await timeout.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badTimeout.StatusCode);
    }

    /// <summary>Creates and starts a simulated smart valve and registers it (its client id is valve-{id}); waits until it is online.</summary>
    private async Task StartValveAsync(string deviceId)
    {
        var created = await host.Client.PostAsJsonAsync("/api/v1/devices", new { modelId = "smart-valve-v1", deviceId });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await host.RegisterAsync(deviceId, $"valve-{deviceId}", "valve");
        var started = await host.Client.PostAsync($"/api/v1/devices/{deviceId}/start", null);
        Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
        await Eventually.GetAsync(async () =>
        {
            var device = await host.GetJsonAsync($"/api/v1/registry/devices/{deviceId}");
            return device["status"]!["online"]!.GetValue<bool>() ? device : null;
        }, $"{deviceId} online");
        await RunningAsync(deviceId);
    }

    /// <summary>
    /// Waits until the simulator reports the device running: its MQTT connection has its subscriptions (SUBACK), so a
    /// method request cannot arrive before the device listens (it would find no subscriber and time out).
    /// </summary>
    private async Task RunningAsync(string deviceId) =>
        await Eventually.GetAsync(async () =>
        {
            var device = await host.GetJsonAsync($"/api/v1/devices/{deviceId}");
            return device["state"]!.GetValue<string>() == "running" ? device : null;
        }, $"{deviceId} running");
}
