using System.Net;
using System.Text.Json;

namespace IoTix.Tests.Web.Api;

/// <summary>
/// What replacing a model does to the devices built from it: they keep their revision while they run, pick up the
/// new one on their next start (when none of a group's devices is active) or on <c>POST /groups/{id}/restart</c>,
/// and the API says which revision each group and device runs.
/// </summary>
public sealed class ModelRevisionApiTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly HttpClient _client = fixture.CreateClient();

    private async Task<string> PutModelAsync(string id, string name, string protocol = "mqtt", HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await _client.PutJsonAsync($"/api/v1/models/{id}", ApiTestHost.Model(id, protocol: protocol, name: name));
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created, $"PUT model: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response.Headers.GetValues("X-IoTix-Model-Revision").Single();
    }

    private async Task CreateGroupAsync(string modelId, string groupId, int count) =>
        Assert.Equal(HttpStatusCode.Created, (await _client.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{modelId}}", "count": {{count}}, "groupId": "{{groupId}}"}""")).StatusCode);

    private static (string? Revision, string? Latest, bool Outdated) RevisionOf(JsonElement body) => (
        body.GetProperty("modelRevision").GetString(),
        body.GetProperty("latestModelRevision").GetString(),
        body.GetProperty("modelOutdated").GetBoolean());

    [Fact]
    public async Task Running_devices_keep_their_revision_after_a_put_until_the_group_is_restarted()
    {
        var model = ApiTestHost.Unique("rev-run");
        var group = ApiTestHost.Unique("g-rev-run");
        var first = await PutModelAsync(model, "First");
        await CreateGroupAsync(model, group, 3);
        Assert.Equal(HttpStatusCode.Accepted, (await _client.PostJsonAsync($"/api/v1/groups/{group}/start", """{"strategy": "linear", "delayMs": 5}""")).StatusCode);
        await _client.WaitForAsync($"/api/v1/groups/{group}", g => g.GetProperty("runningDeviceCount").GetInt32() == 3, "group running");
        Assert.Equal((first, first, false), RevisionOf(await _client.GetJsonAsync($"/api/v1/groups/{group}")));

        using var put = await _client.PutJsonAsync($"/api/v1/models/{model}", ApiTestHost.Model(model, name: "Second"));
        var second = put.Headers.GetValues("X-IoTix-Model-Revision").Single();
        var outdatedUsers = put.Headers.GetValues("X-IoTix-Outdated-Users").Single();
        using var startAgain = await _client.PostJsonAsync($"/api/v1/groups/{group}/start", """{"strategy": "linear", "delayMs": 5}""");
        var device = await _client.GetJsonAsync($"/api/v1/devices/{group}-1");

        Assert.NotEqual(first, second);
        Assert.Equal("1", outdatedUsers);
        Assert.Equal((first, second, true), RevisionOf(await _client.GetJsonAsync($"/api/v1/groups/{group}")));
        Assert.Equal((first, second, true), RevisionOf(device));
        // Starting a group whose devices run starts nothing new and keeps its revision.
        var again = await startAgain.JsonAsync();
        Assert.Equal(0, again.GetProperty("plannedDevices").GetInt32());
        Assert.Equal(first, again.GetProperty("modelRevision").GetString());
        Assert.False(again.TryGetProperty("updatedFromRevision", out _));

        using var restart = await _client.PostAsync($"/api/v1/groups/{group}/restart", null);

        Assert.Equal(HttpStatusCode.Accepted, restart.StatusCode);
        var receipt = await restart.JsonAsync();
        Assert.Equal(second, receipt.GetProperty("modelRevision").GetString());
        Assert.Equal(first, receipt.GetProperty("updatedFromRevision").GetString());
        Assert.Equal("linear", receipt.GetProperty("launch").GetProperty("strategy").GetString());
        Assert.Equal(3, receipt.GetProperty("plannedDevices").GetInt32());
        var restarted = await _client.WaitForAsync($"/api/v1/groups/{group}", g => g.GetProperty("runningDeviceCount").GetInt32() == 3, "group running again");
        Assert.Equal((second, second, false), RevisionOf(restarted));
        var runs = await _client.GetJsonAsync($"/api/v1/groups/{group}/runs");
        Assert.Equal("restarted", runs[1].GetProperty("endReason").GetString());
        Assert.Equal("0", (await _client.PutJsonAsync($"/api/v1/models/{model}", ApiTestHost.Model(model, name: "Second"))).Headers.GetValues("X-IoTix-Outdated-Users").Single());
    }

    [Fact]
    public async Task An_idle_group_and_an_idle_single_device_pick_up_the_new_revision_when_they_next_start()
    {
        var model = ApiTestHost.Unique("rev-idle");
        var group = ApiTestHost.Unique("g-rev-idle");
        var device = ApiTestHost.Unique("d-rev-idle");
        var first = await PutModelAsync(model, "First");
        await CreateGroupAsync(model, group, 2);
        Assert.Equal(HttpStatusCode.Created, (await _client.PostJsonAsync("/api/v1/devices", $$"""{"modelId": "{{model}}", "deviceId": "{{device}}"}""")).StatusCode);
        var second = await PutModelAsync(model, "Second");
        Assert.True(RevisionOf(await _client.GetJsonAsync($"/api/v1/devices/{device}")).Outdated);

        using var start = await _client.PostAsync($"/api/v1/groups/{group}/start", null);
        using var startDevice = await _client.PostAsync($"/api/v1/devices/{device}/start", null);

        var receipt = await start.JsonAsync();
        Assert.Equal(second, receipt.GetProperty("modelRevision").GetString());
        Assert.Equal(first, receipt.GetProperty("updatedFromRevision").GetString());
        Assert.Equal(2, receipt.GetProperty("plannedDevices").GetInt32());
        Assert.Equal(HttpStatusCode.Accepted, startDevice.StatusCode);
        Assert.Equal((second, second, false), RevisionOf(await startDevice.JsonAsync()));
        var running = await _client.WaitForAsync($"/api/v1/groups/{group}", g => g.GetProperty("runningDeviceCount").GetInt32() == 2, "group running");
        Assert.Equal((second, second, false), RevisionOf(running));
        var devices = await _client.GetJsonAsync($"/api/v1/devices?groupId={group}");
        Assert.All(devices.GetProperty("items").EnumerateArray(), d => Assert.Equal(second, d.GetProperty("modelRevision").GetString()));
    }

    [Fact]
    public async Task A_new_revision_the_devices_cannot_use_fails_the_start_naming_modelId_and_the_group_keeps_its_revision()
    {
        var model = ApiTestHost.Unique("rev-coap");
        var group = ApiTestHost.Unique("g-rev-coap");
        var first = await PutModelAsync(model, "Mqtt");
        await CreateGroupAsync(model, group, 2);
        var coap = await PutModelAsync(model, "Now CoAP", protocol: "coap"); // valid, but this host has no CoAP adapter

        using var start = await _client.PostAsync($"/api/v1/groups/{group}/start", null);

        var message = await start.AssertFieldProblemAsync(HttpStatusCode.UnprocessableEntity, "modelId");
        Assert.Contains($"keeps revision {first}", message, StringComparison.Ordinal);
        var kept = await _client.GetJsonAsync($"/api/v1/groups/{group}");
        Assert.Equal((first, coap, true), RevisionOf(kept));
        Assert.Equal(2, kept.GetProperty("devicesByState").GetProperty("created").GetInt32());
    }

    [Fact]
    public async Task Restart_of_an_unknown_group_is_404_and_a_bad_strategy_names_its_field()
    {
        var model = ApiTestHost.Unique("rev-bad");
        var group = ApiTestHost.Unique("g-rev-bad");
        await PutModelAsync(model, "Bad");
        await CreateGroupAsync(model, group, 1);

        using var unknown = await _client.PostAsync("/api/v1/groups/no-such-group/restart", null);
        using var bad = await _client.PostJsonAsync($"/api/v1/groups/{group}/restart", """{"strategy": "batch", "batchSize": 0}""");

        await unknown.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("at least 1", await bad.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "batchSize"), StringComparison.Ordinal);
    }
}
