using System.Net;

namespace IoTix.Tests.Web.Api;

public sealed class GroupApiTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly HttpClient _client = fixture.CreateClient();

    private async Task<string> CreateGroupAsync(int count, string prefix = "g")
    {
        var groupId = ApiTestHost.Unique(prefix);
        using var response = await _client.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "count": {{count}}, "groupId": "{{groupId}}", "idPattern": "{{groupId}}-{index}"}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return groupId;
    }

    [Fact]
    public async Task Create_takes_the_seed_body_and_names_devices_from_the_id_pattern()
    {
        var groupId = ApiTestHost.Unique("temp-sensors-batch");

        using var response = await _client.PostJsonAsync("/api/v1/groups", $$"""
            {
              "modelId": "{{ApiFixture.FileModelId}}",
              "count": 50,
              "groupId": "{{groupId}}",
              "idPattern": "temp-sensor-{{groupId}}-{index}"
            }
            """);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/api/v1/groups/{groupId}", response.Headers.Location?.OriginalString);
        var body = await response.JsonAsync();
        Assert.Equal(50, body.GetProperty("deviceCount").GetInt32());
        Assert.False(body.GetProperty("running").GetBoolean());
        Assert.Equal(50, body.GetProperty("devicesByState").GetProperty("created").GetInt32());
        var device = await _client.GetJsonAsync($"/api/v1/devices/temp-sensor-{groupId}-49");
        Assert.Equal(groupId, device.GetProperty("groupId").GetString());
        Assert.Equal(49, device.GetProperty("index").GetInt32());
    }

    [Theory]
    [InlineData("""{"modelId": "file-sensor", "count": 0}""", "count")]
    [InlineData("""{"modelId": "file-sensor", "count": -5}""", "count")]
    [InlineData("""{"count": 5}""", "modelId")]
    [InlineData("""{"modelId": "file-sensor", "count": "five"}""", "count")]
    [InlineData("""{"modelId": "file-sensor", "count": 3000000000}""", "count")]
    [InlineData("""{"modelId": "file-sensor", "cuont": 5}""", "cuont")]
    [InlineData("""{"modelId": "file-sensor", "count": 5, "idPattern": "same-id"}""", "idPattern")]
    [InlineData("""{"modelId": "file-sensor", "count": 5, "groupId": ""}""", "groupId")]
    [InlineData("""{"modelId": "file-sensor", "count": 2, "idPattern": "tenants/acme/d{index}"}""", "idPattern")]
    public async Task Create_with_bad_input_is_a_400_problem_naming_the_field(string json, string field)
    {
        using var response = await _client.PostJsonAsync("/api/v1/groups", json);

        await response.AssertFieldProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Create_with_malformed_json_is_a_readable_400_not_an_exception()
    {
        using var response = await _client.PostJsonAsync("/api/v1/groups", """{"modelId": "file-sensor", "count": 5""");

        var body = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("malformed JSON", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_with_an_unknown_model_is_404_and_a_duplicate_group_id_is_409()
    {
        var groupId = await CreateGroupAsync(2);

        using var unknownModel = await _client.PostJsonAsync("/api/v1/groups", """{"modelId": "nope", "count": 2}""");
        using var duplicate = await _client.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "count": 2, "groupId": "{{groupId}}"}""");

        await unknownModel.AssertFieldProblemAsync(HttpStatusCode.NotFound, "modelId");
        Assert.Contains("already exists", await duplicate.AssertFieldProblemAsync(HttpStatusCode.Conflict, "groupId"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_thousand_devices_start_with_the_batch_strategy_and_stats_show_them_running()
    {
        var groupId = await CreateGroupAsync(1000, "g-1k");

        using var response = await _client.PostJsonAsync($"/api/v1/groups/{groupId}/start", """{"strategy": "batch", "batchSize": 100, "delayMs": 20}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/api/v1/groups/{groupId}/progress", response.Headers.Location?.OriginalString);
        var plan = await response.JsonAsync();
        Assert.Equal(1000, plan.GetProperty("plannedDevices").GetInt32());
        Assert.Equal(180, plan.GetProperty("expectedDurationMs").GetInt64());
        Assert.Equal("batch", plan.GetProperty("launch").GetProperty("strategy").GetString());
        Assert.Equal(60000, plan.GetProperty("launch").GetProperty("maxDelayMs").GetInt32());
        var progress = await _client.WaitForAsync($"/api/v1/groups/{groupId}/progress", p => p.GetProperty("complete").GetBoolean(), "launch complete");
        Assert.Equal(1000, progress.GetProperty("runningDevices").GetInt32());
        Assert.Equal(1000, progress.GetProperty("startedDevices").GetInt32());
        Assert.Equal(0, progress.GetProperty("pendingDevices").GetInt32());
        var stats = await _client.GetJsonAsync("/api/v1/stats");
        Assert.True(stats.GetProperty("runningDeviceCount").GetInt32() >= 1000);
        var groupStats = stats.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("groupId").GetString() == groupId);
        Assert.Equal(1000, groupStats.GetProperty("runningDeviceCount").GetInt32());
        var group = await _client.GetJsonAsync($"/api/v1/groups/{groupId}");
        Assert.True(group.GetProperty("running").GetBoolean());
        Assert.Equal(100, group.GetProperty("launch").GetProperty("batchSize").GetInt32());
    }

    [Fact]
    public async Task Start_without_a_body_uses_the_immediate_defaults()
    {
        var groupId = await CreateGroupAsync(3);

        using var response = await _client.PostAsync($"/api/v1/groups/{groupId}/start", null);

        var plan = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("immediate", plan.GetProperty("launch").GetProperty("strategy").GetString());
        Assert.Equal(0, plan.GetProperty("expectedDurationMs").GetInt64());
        Assert.Equal(1.5, plan.GetProperty("launch").GetProperty("exponentBase").GetDouble());
    }

    [Fact]
    public async Task Start_with_bad_launch_fields_names_each_of_them()
    {
        var groupId = await CreateGroupAsync(2);

        using var response = await _client.PostJsonAsync($"/api/v1/groups/{groupId}/start", """{"strategy": "warp", "batchSize": 0, "exponentBase": 0.5, "delayMs": -1}""");

        var body = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        var errors = body.GetProperty("errors");
        Assert.Contains("immediate, linear, batch, exponential", errors.GetProperty("strategy")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal("must be at least 1 (was 0)", errors.GetProperty("batchSize")[0].GetString());
        Assert.True(errors.TryGetProperty("exponentBase", out _));
        Assert.True(errors.TryGetProperty("delayMs", out _));
    }

    [Fact]
    public async Task Start_stop_dropout_delete_and_progress_of_an_unknown_group_are_404()
    {
        using var start = await _client.PostAsync("/api/v1/groups/ghost/start", null);
        using var stop = await _client.PostAsync("/api/v1/groups/ghost/stop", null);
        using var dropout = await _client.PostJsonAsync("/api/v1/groups/ghost/dropout", """{"percentage": 10}""");
        using var delete = await _client.DeleteAsync("/api/v1/groups/ghost");
        using var get = await _client.GetAsync("/api/v1/groups/ghost");
        using var progress = await _client.GetAsync("/api/v1/groups/ghost/progress");

        foreach (var response in new[] { start, stop, dropout, delete, get, progress })
        {
            await response.AssertProblemAsync(HttpStatusCode.NotFound);
        }
    }

    [Fact]
    public async Task Stop_stops_every_device_and_ends_the_run_with_its_counters()
    {
        var groupId = await CreateGroupAsync(10);
        (await _client.PostAsync($"/api/v1/groups/{groupId}/start", null)).Dispose();
        await _client.WaitForAsync($"/api/v1/groups/{groupId}", g => g.GetProperty("runningDeviceCount").GetInt32() == 10, "10 running");

        using var response = await _client.PostAsync($"/api/v1/groups/{groupId}/stop", null);

        var body = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(10, body.GetProperty("stoppedDevices").GetInt32());
        var group = await _client.WaitForAsync($"/api/v1/groups/{groupId}", g => g.GetProperty("devicesByState").GetProperty("stopped").GetInt32() == 10, "10 stopped");
        Assert.False(group.GetProperty("running").GetBoolean());
        var run = (await _client.GetJsonAsync($"/api/v1/groups/{groupId}/runs"))[0];
        Assert.Equal("stopped", run.GetProperty("endReason").GetString());
        Assert.Equal(10, run.GetProperty("runningDevicesAtEnd").GetInt32());
        Assert.True(run.GetProperty("messagesSentAtEnd").GetInt64() >= 10);
        Assert.Equal("immediate", run.GetProperty("launch").GetProperty("strategy").GetString());
    }

    [Fact]
    public async Task Dropout_drops_the_percentage_of_running_devices_and_lists_them()
    {
        var groupId = await CreateGroupAsync(20);
        (await _client.PostAsync($"/api/v1/groups/{groupId}/start", null)).Dispose();
        await _client.WaitForAsync($"/api/v1/groups/{groupId}", g => g.GetProperty("runningDeviceCount").GetInt32() == 20, "20 running");

        using var response = await _client.PostJsonAsync($"/api/v1/groups/{groupId}/dropout", """{"strategy": "immediate", "percentage": 50}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal(20, body.GetProperty("eligibleDevices").GetInt32());
        Assert.Equal(10, body.GetProperty("droppedDevices").GetInt32());
        Assert.Equal(10, body.GetProperty("devices").GetArrayLength());
        var group = await _client.WaitForAsync($"/api/v1/groups/{groupId}", g => g.GetProperty("devicesByState").GetProperty("dropped").GetInt32() == 10, "10 dropped");
        Assert.Equal(10, group.GetProperty("runningDeviceCount").GetInt32());
    }

    [Theory]
    [InlineData("""{"strategy": "immediate", "percentage": 150}""", "percentage", "must be between 0 and 100 (was 150)")]
    [InlineData("""{"strategy": "immediate"}""", "percentage", "count or percentage is required")]
    [InlineData("""{"strategy": "meteor", "count": 1}""", "strategy", "must be one of immediate, linear, exponential, random (was 'meteor')")]
    [InlineData("""{"count": -1}""", "count", "must be 0 or more (was -1)")]
    [InlineData("""{"count": 1, "reconnect": "yes"}""", "reconnect", "must be true or false")]
    public async Task Dropout_with_bad_input_names_the_field(string json, string field, string message)
    {
        var groupId = await CreateGroupAsync(2);

        using var response = await _client.PostJsonAsync($"/api/v1/groups/{groupId}/dropout", json);

        Assert.StartsWith(message, await response.AssertFieldProblemAsync(HttpStatusCode.BadRequest, field), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_removes_the_group_and_its_devices()
    {
        var groupId = await CreateGroupAsync(5);

        using var response = await _client.DeleteAsync($"/api/v1/groups/{groupId}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await (await _client.GetAsync($"/api/v1/groups/{groupId}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await _client.GetAsync($"/api/v1/devices/{groupId}-0")).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task List_returns_groups_with_paging()
    {
        var first = await CreateGroupAsync(1, "g-list");
        await CreateGroupAsync(1, "g-list");

        var all = await _client.GetJsonAsync("/api/v1/groups?pageSize=1000");
        var one = await _client.GetJsonAsync("/api/v1/groups?limit=1");

        Assert.Contains(all.GetProperty("items").EnumerateArray(), g => g.GetProperty("groupId").GetString() == first);
        Assert.Single(one.GetProperty("items").EnumerateArray());
        Assert.Equal(all.GetProperty("total").GetInt32(), one.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Launch_preview_gives_the_seed_readme_timelines()
    {
        var groupId = await CreateGroupAsync(5000, "g-prev");

        var batch = await _client.GetJsonAsync($"/api/v1/groups/{groupId}/launch/preview?strategy=batch&batchSize=100&delayMs=1000");
        var linear = await _client.GetJsonAsync($"/api/v1/groups/{groupId}/launch/preview?strategy=linear&delayMs=10&points=11");
        var exponential = await _client.GetJsonAsync($"/api/v1/groups/{groupId}/launch/preview?strategy=exponential&delayMs=1&exponentBase=1.1&maxDelayMs=5000&count=5");

        Assert.Equal(49000, batch.GetProperty("totalDurationMs").GetInt64());
        Assert.Equal(5000, batch.GetProperty("timeline").EnumerateArray().Last().GetProperty("devices").GetInt32());
        Assert.Equal(49990, linear.GetProperty("totalDurationMs").GetInt64());
        Assert.Equal(11, linear.GetProperty("timeline").GetArrayLength());
        Assert.Equal(2500, linear.GetProperty("timeline")[5].GetProperty("devices").GetInt32());
        Assert.Equal([0L, 1L, 2L, 3L, 5L], exponential.GetProperty("firstOffsetsMs").EnumerateArray().Select(o => o.GetInt64()));
    }

    [Fact]
    public async Task Launch_preview_defaults_to_the_launch_last_used_and_rejects_bad_fields()
    {
        var groupId = await CreateGroupAsync(10);
        (await _client.PostJsonAsync($"/api/v1/groups/{groupId}/start", """{"strategy": "linear", "delayMs": 7}""")).Dispose();

        var preview = await _client.GetJsonAsync($"/api/v1/groups/{groupId}/launch/preview");
        using var bad = await _client.GetAsync($"/api/v1/groups/{groupId}/launch/preview?strategy=batch&batchSize=zero");

        Assert.Equal("linear", preview.GetProperty("launch").GetProperty("strategy").GetString());
        Assert.Equal(63, preview.GetProperty("totalDurationMs").GetInt64());
        await bad.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "batchSize");
    }

    [Fact]
    public async Task Dropout_preview_gives_drop_times_over_the_eligible_devices()
    {
        var groupId = await CreateGroupAsync(10);

        var linear = await _client.GetJsonAsync($"/api/v1/groups/{groupId}/dropout/preview?strategy=linear&count=100&delayMs=1000&eligible=500");
        var percentage = await _client.GetJsonAsync($"/api/v1/groups/{groupId}/dropout/preview?strategy=exponential&percentage=50&delayMs=1000&exponentBase=2&reconnect=true&reconnectDelayMs=30000");
        using var bad = await _client.GetAsync($"/api/v1/groups/{groupId}/dropout/preview?percentage=101");

        Assert.Equal(100, linear.GetProperty("droppedDevices").GetInt32());
        Assert.Equal(99000, linear.GetProperty("totalDurationMs").GetInt64());
        Assert.Equal(5, percentage.GetProperty("droppedDevices").GetInt32());
        Assert.Equal([0L, 1000L, 1500L, 1750L, 1875L], percentage.GetProperty("firstOffsetsMs").EnumerateArray().Select(o => o.GetInt64()));
        Assert.Equal(31875, percentage.GetProperty("lastReconnectAtMs").GetInt64());
        await bad.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "percentage");
    }
}
