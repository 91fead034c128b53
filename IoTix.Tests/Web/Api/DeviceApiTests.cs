using System.Net;

namespace IoTix.Tests.Web.Api;

public sealed class DeviceApiTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly HttpClient _client = fixture.CreateClient();

    [Fact]
    public async Task Create_start_metrics_stop_delete_a_single_device()
    {
        var deviceId = ApiTestHost.Unique("d-life");

        using var created = await _client.PostJsonAsync("/api/v1/devices", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "deviceId": "{{deviceId}}"}""");
        var createdBody = await created.JsonAsync();
        using var started = await _client.PostAsync($"/api/v1/devices/{deviceId}/start", null);
        var metrics = await _client.WaitForAsync($"/api/v1/devices/{deviceId}/metrics", m => m.GetProperty("messagesSent").GetInt64() >= 1, "first message");
        var running = await _client.GetJsonAsync($"/api/v1/devices/{deviceId}");
        using var stopped = await _client.PostAsync($"/api/v1/devices/{deviceId}/stop", null);
        var stoppedBody = await stopped.JsonAsync();
        using var deleted = await _client.DeleteAsync($"/api/v1/devices/{deviceId}");
        using var gone = await _client.GetAsync($"/api/v1/devices/{deviceId}");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/v1/devices/{deviceId}", created.Headers.Location?.OriginalString);
        Assert.Equal("created", createdBody.GetProperty("state").GetString());
        Assert.Equal("stopped", createdBody.GetProperty("desiredState").GetString());
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal("running", metrics.GetProperty("state").GetString());
        Assert.True(metrics.GetProperty("bytesSent").GetInt64() > 0);
        Assert.Equal("running", running.GetProperty("desiredState").GetString());
        Assert.Equal(HttpStatusCode.OK, stopped.StatusCode);
        Assert.Contains(stoppedBody.GetProperty("state").GetString(), new[] { "stopping", "stopped" });
        Assert.Equal("stopped", stoppedBody.GetProperty("desiredState").GetString());
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await gone.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Create_into_a_group_or_with_a_bad_group_or_endpoint()
    {
        var groupId = ApiTestHost.Unique("g-add");
        Assert.Equal(HttpStatusCode.Created, (await _client.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "count": 2, "groupId": "{{groupId}}"}""")).StatusCode);

        using var added = await _client.PostJsonAsync("/api/v1/devices", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "groupId": "{{groupId}}", "endpoint": "127.0.0.1:1884"}""");
        var body = await added.JsonAsync();
        using var noGroup = await _client.PostJsonAsync("/api/v1/devices", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "groupId": "{{groupId}}-missing"}""");
        using var badEndpoint = await _client.PostJsonAsync("/api/v1/devices", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "endpoint": "host:notaport"}""");
        using var deleteOne = await _client.DeleteAsync($"/api/v1/devices/{groupId}-2");
        var group = await _client.GetJsonAsync($"/api/v1/groups/{groupId}");

        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Equal(($"{groupId}-2", groupId, 2), (body.GetProperty("deviceId").GetString(), body.GetProperty("groupId").GetString(), body.GetProperty("index").GetInt32()));
        Assert.False(body.TryGetProperty("desiredState", out _)); // it follows its group
        Assert.Contains("not found", await noGroup.AssertFieldProblemAsync(HttpStatusCode.NotFound, "groupId"), StringComparison.Ordinal);
        await badEndpoint.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "endpoint");
        Assert.Equal(HttpStatusCode.Conflict, deleteOne.StatusCode);
        Assert.Equal(3, group.GetProperty("devicesByState").GetProperty("created").GetInt32());
    }

    [Fact]
    public async Task Create_without_model_id_names_model_id()
    {
        using var response = await _client.PostJsonAsync("/api/v1/devices", "{}");

        Assert.Equal("is required", await response.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "modelId"));
    }

    [Fact]
    public async Task Create_with_an_unknown_model_is_404_naming_model_id()
    {
        using var response = await _client.PostJsonAsync("/api/v1/devices", """{"modelId": "temperature-sensor-v0"}""");

        Assert.Contains("temperature-sensor-v0", await response.AssertFieldProblemAsync(HttpStatusCode.NotFound, "modelId"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_with_a_taken_device_id_is_409_naming_device_id()
    {
        var deviceId = ApiTestHost.Unique("d-dup");
        (await _client.PostJsonAsync("/api/v1/devices", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "deviceId": "{{deviceId}}"}""")).Dispose();

        using var response = await _client.PostJsonAsync("/api/v1/devices", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "deviceId": "{{deviceId}}"}""");

        await response.AssertFieldProblemAsync(HttpStatusCode.Conflict, "deviceId");
    }

    [Fact]
    public async Task Create_with_a_model_whose_protocol_has_no_adapter_is_422_naming_model_id()
    {
        var modelId = ApiTestHost.Unique("d-http");
        Assert.Equal(HttpStatusCode.Created, (await _client.PostJsonAsync("/api/v1/models", ApiTestHost.Model(modelId, protocol: "http"))).StatusCode);

        using var response = await _client.PostJsonAsync("/api/v1/devices", $$"""{"modelId": "{{modelId}}"}""");

        Assert.Contains("no adapter", await response.AssertFieldProblemAsync(HttpStatusCode.UnprocessableEntity, "modelId"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Body_with_a_wrong_type_or_an_unknown_field_names_that_field()
    {
        using var wrongType = await _client.PostJsonAsync("/api/v1/devices", """{"modelId": 42}""");
        using var unknown = await _client.PostJsonAsync("/api/v1/devices", """{"model": "x"}""");
        using var notJson = await _client.PostAsync("/api/v1/devices", new StringContent("modelId=x", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.Contains("string", await wrongType.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "modelId"), StringComparison.Ordinal);
        Assert.Contains("not a known field", await unknown.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "model"), StringComparison.Ordinal);
        var mediaType = await notJson.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("application/json", mediaType.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_filters_by_group_and_pages_with_page_and_page_size_or_offset_and_limit()
    {
        var groupId = ApiTestHost.Unique("d-page");
        (await _client.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "count": 25, "groupId": "{{groupId}}", "idPattern": "{{groupId}}-{index}"}""")).Dispose();

        var page3 = await _client.GetJsonAsync($"/api/v1/devices?groupId={groupId}&page=3&pageSize=10");
        var window = await _client.GetJsonAsync($"/api/v1/devices?groupId={groupId}&offset=5&limit=2");
        var created = await _client.GetJsonAsync($"/api/v1/devices?groupId={groupId}&state=created&limit=1");

        Assert.Equal(25, page3.GetProperty("total").GetInt32());
        Assert.Equal(3, page3.GetProperty("page").GetInt32());
        Assert.Equal([$"{groupId}-20", $"{groupId}-21", $"{groupId}-22", $"{groupId}-23", $"{groupId}-24"],
            page3.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("deviceId").GetString()));
        Assert.Equal([$"{groupId}-5", $"{groupId}-6"], window.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("deviceId").GetString()));
        Assert.Equal(25, created.GetProperty("total").GetInt32());
        Assert.Single(created.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task List_without_group_includes_single_devices_with_their_desired_state()
    {
        var deviceId = ApiTestHost.Unique("d-all");
        (await _client.PostJsonAsync("/api/v1/devices", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "deviceId": "{{deviceId}}"}""")).Dispose();

        var all = await _client.GetJsonAsync("/api/v1/devices?pageSize=1000");

        var device = Assert.Single(all.GetProperty("items").EnumerateArray(), d => d.GetProperty("deviceId").GetString() == deviceId);
        Assert.Equal("stopped", device.GetProperty("desiredState").GetString());
        Assert.True(all.GetProperty("total").GetInt32() >= 1);
    }

    [Theory]
    [InlineData("page=1&offset=0", "offset")]
    [InlineData("pageSize=0", "pageSize")]
    [InlineData("limit=1000000", "limit")]
    [InlineData("page=0", "page")]
    [InlineData("page=two", "page")]
    [InlineData("state=sleeping", "state")]
    public async Task List_with_bad_paging_or_filter_names_the_parameter(string query, string field)
    {
        using var response = await _client.GetAsync($"/api/v1/devices?{query}");

        await response.AssertFieldProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task List_of_an_unknown_group_is_404_naming_group_id()
    {
        using var response = await _client.GetAsync("/api/v1/devices?groupId=no-such-group");

        await response.AssertFieldProblemAsync(HttpStatusCode.NotFound, "groupId");
    }

    [Fact]
    public async Task Unknown_device_is_404_for_get_start_stop_metrics_and_delete()
    {
        using var get = await _client.GetAsync("/api/v1/devices/ghost");
        using var start = await _client.PostAsync("/api/v1/devices/ghost/start", null);
        using var stop = await _client.PostAsync("/api/v1/devices/ghost/stop", null);
        using var metrics = await _client.GetAsync("/api/v1/devices/ghost/metrics");
        using var delete = await _client.DeleteAsync("/api/v1/devices/ghost");

        foreach (var response in new[] { get, start, stop, metrics, delete })
        {
            await response.AssertProblemAsync(HttpStatusCode.NotFound);
        }
    }

    [Fact]
    public async Task Deleting_a_device_of_a_group_is_409_pointing_at_the_group()
    {
        var groupId = ApiTestHost.Unique("d-member");
        (await _client.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "count": 2, "groupId": "{{groupId}}"}""")).Dispose();

        using var response = await _client.DeleteAsync($"/api/v1/devices/{groupId}-0");

        var body = await response.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains($"/api/v1/groups/{groupId}", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Starting_a_running_device_is_409()
    {
        var deviceId = ApiTestHost.Unique("d-twice");
        (await _client.PostJsonAsync("/api/v1/devices", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "deviceId": "{{deviceId}}"}""")).Dispose();
        (await _client.PostAsync($"/api/v1/devices/{deviceId}/start", null)).Dispose();
        await _client.WaitForAsync($"/api/v1/devices/{deviceId}", d => d.GetProperty("state").GetString() == "running", "running");

        using var again = await _client.PostAsync($"/api/v1/devices/{deviceId}/start", null);

        await again.AssertProblemAsync(HttpStatusCode.Conflict);
    }
}
