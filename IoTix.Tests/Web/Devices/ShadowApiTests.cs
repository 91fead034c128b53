using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Web.Devices;

/// <summary><c>/api/v1/shadows/{id}</c> against the running host: desired updates reach the device as deltas, optimistic concurrency, bad input (user story 5).</summary>
public sealed class ShadowApiTests(TwinHostFixture host) : IClassFixture<TwinHostFixture>
{
    [Fact]
    public async Task Patch_desired_returns_the_new_version_and_the_device_receives_the_delta()
    {
        using var device = await host.ConnectAsync("api-shadow-dev-1");
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        device.ApplicationMessageReceivedAsync += e =>
        {
            received.TrySetResult(e.ApplicationMessage.ConvertPayloadToString());
            return Task.CompletedTask;
        };
        await device.SubscribeAsync("$iotix/things/api-thing-1/shadow/update/delta", MqttQualityOfServiceLevel.AtLeastOnce);

        var response = await PatchAsync("api-thing-1", """{"state":{"desired":{"brightness":80}}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"1\"", response.Headers.ETag!.Tag);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("api-thing-1", document["thingName"]!.GetValue<string>());
        Assert.Equal(80, document["state"]!["delta"]!["brightness"]!.GetValue<int>());
        var delta = JsonNode.Parse(await received.Task.WaitAsync(TimeSpan.FromSeconds(20)))!;
        Assert.Equal(80, delta["state"]!["brightness"]!.GetValue<int>());
    }

    [Fact]
    public async Task Stale_version_is_a_409_problem_that_says_which_version_the_shadow_is_at()
    {
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync("api-thing-2", """{"state":{"desired":{"a":1}}}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync("api-thing-2", """{"state":{"desired":{"a":2}},"version":1}""")).StatusCode);

        var stale = await PatchAsync("api-thing-2", """{"state":{"desired":{"a":3}},"version":1}""");
        var staleHeader = await PatchAsync("api-thing-2", """{"state":{"desired":{"a":4}}}""", ifMatch: "\"1\"");

        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, staleHeader.StatusCode);
        var problem = JsonNode.Parse(await stale.Content.ReadAsStringAsync())!;
        Assert.Equal("Version conflict", problem["title"]!.GetValue<string>());
        Assert.Contains("is at version 2", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("versionConflict", problem["code"]!.GetValue<string>());
        var current = await host.GetJsonAsync("/api/v1/shadows/api-thing-2");
        Assert.Equal(2, current["state"]!["desired"]!["a"]!.GetValue<int>());
    }

    [Fact]
    public async Task Put_replaces_the_desired_section_and_null_in_a_patch_deletes_a_field()
    {
        await PatchAsync("api-thing-3", """{"state":{"desired":{"a":1,"b":2},"reported":{"b":2}}}""");

        var put = await SendAsync(HttpMethod.Put, "api-thing-3", """{"state":{"desired":{"c":3}}}""");
        var patch = await PatchAsync("api-thing-3", """{"state":{"desired":{"c":null,"d":{"e":5}}}}""");

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        var document = await host.GetJsonAsync("/api/v1/shadows/api-thing-3");
        var desired = document["state"]!["desired"]!.AsObject();
        Assert.Equal(["d"], desired.Select(p => p.Key).ToArray());
        Assert.Equal(5, desired["d"]!["e"]!.GetValue<int>());
        Assert.True(document["metadata"]!["desired"]!["d"]!["e"]!["timestamp"]!.GetValue<long>() > 0);
        Assert.Equal(3, document["version"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("""{"desired":{"a":1}}""", "'state' is required")]
    [InlineData("""{"state":{"desired":[1]}}""", "state.desired")]
    [InlineData("""{"state":{"desired":{"a":1}},"version":-1}""", "'version'")]
    [InlineData("""not json""", "not valid JSON")]
    public async Task Bad_update_is_a_400_problem_in_words(string body, string expected)
    {
        var response = await PatchAsync("api-thing-4", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_shadow_is_404_and_delete_removes_a_shadow()
    {
        await PatchAsync("api-thing-5", """{"state":{"reported":{"on":true}}}""");

        var deleted = await host.Client.DeleteAsync("/api/v1/shadows/api-thing-5");
        var missing = await host.Client.GetAsync("/api/v1/shadows/api-thing-5");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("has no shadow", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private Task<HttpResponseMessage> PatchAsync(string thing, string body, string? ifMatch = null) => SendAsync(HttpMethod.Patch, thing, body, ifMatch);

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string thing, string body, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(method, $"/api/v1/shadows/{thing}") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (ifMatch is not null)
        {
            request.Headers.IfMatch.Add(EntityTagHeaderValue.Parse(ifMatch));
        }

        return host.Client.SendAsync(request);
    }
}
