using System.Net;

namespace IoTix.Tests.Web.Api;

public sealed class ModelApiTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly HttpClient _client = fixture.CreateClient();

    [Fact]
    public async Task Create_returns_201_with_location_and_the_model_which_then_lists_as_an_api_model()
    {
        var id = ApiTestHost.Unique("m-create");

        using var response = await _client.PostJsonAsync("/api/v1/models", ApiTestHost.Model(id));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/api/v1/models/{id}", response.Headers.Location?.OriginalString);
        var body = await response.JsonAsync();
        Assert.Equal(id, body.GetProperty("id").GetString());
        Assert.Equal("mqtt", body.GetProperty("protocol").GetString());
        var list = await _client.GetJsonAsync($"/api/v1/models?search={id}");
        var item = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal("api", item.GetProperty("source").GetString());
        Assert.Equal(1, list.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task List_filters_by_type_protocol_and_search_and_shows_file_models_with_their_file()
    {
        var prefix = ApiTestHost.Unique("m-filter");
        Assert.Equal(HttpStatusCode.Created, (await _client.PostJsonAsync("/api/v1/models", ApiTestHost.Model($"{prefix}-gw", type: "gateway"))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await _client.PostJsonAsync("/api/v1/models", ApiTestHost.Model($"{prefix}-coap", protocol: "coap"))).StatusCode);

        var gateways = await _client.GetJsonAsync($"/api/v1/models?search={prefix}&type=gateway");
        var coap = await _client.GetJsonAsync($"/api/v1/models?search={prefix}&protocol=COAP");
        var file = await _client.GetJsonAsync($"/api/v1/models?search={ApiFixture.FileModelId}");

        Assert.Equal([$"{prefix}-gw"], gateways.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        Assert.Equal([$"{prefix}-coap"], coap.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        var fileModel = Assert.Single(file.GetProperty("items").EnumerateArray());
        Assert.Equal("file", fileModel.GetProperty("source").GetString());
        Assert.EndsWith("file-sensor.json", fileModel.GetProperty("file").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_with_an_unknown_type_is_a_problem_naming_type()
    {
        using var response = await _client.GetAsync("/api/v1/models?type=toaster");

        var messages = await response.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "type");
        Assert.Contains("sensor, gateway, actuator, custom", messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_returns_the_model_json_and_its_source()
    {
        using var response = await _client.GetAsync($"/api/v1/models/{ApiFixture.FileModelId}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("file", response.Headers.GetValues("X-IoTix-Model-Source").Single());
        var body = await response.JsonAsync();
        Assert.Equal("File sensor", body.GetProperty("name").GetString());
        Assert.Equal("temperature", body.GetProperty("telemetry")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Get_unknown_model_is_a_404_problem()
    {
        using var response = await _client.GetAsync("/api/v1/models/no-such-model");

        var body = await response.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("no-such-model", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_invalid_model_is_a_400_problem_naming_every_error_by_json_path()
    {
        var json = ApiTestHost.Model(ApiTestHost.Unique("m-bad"))
            .Replace("\"intervalMs\": 5000", "\"intervalMs\": -1", StringComparison.Ordinal)
            .Replace("\"type\": \"sensor\"", "\"type\": \"toaster\"", StringComparison.Ordinal);

        using var response = await _client.PostJsonAsync("/api/v1/models", json);

        var body = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        var errors = body.GetProperty("errors");
        Assert.True(errors.TryGetProperty("$.type", out _), errors.ToString());
        Assert.Contains(errors.EnumerateObject(), e => e.Name.StartsWith("$.telemetry[0]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Create_malformed_json_is_a_400_problem_with_the_position()
    {
        using var response = await _client.PostJsonAsync("/api/v1/models", "{ \"id\": \"x\", ");

        var body = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(body.GetProperty("errors").TryGetProperty("$", out var messages), body.ToString());
        Assert.Contains("line", messages[0].GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Create_with_an_existing_id_is_409_and_with_a_file_model_id_says_the_file_is_read_only()
    {
        var id = ApiTestHost.Unique("m-dup");
        (await _client.PostJsonAsync("/api/v1/models", ApiTestHost.Model(id))).Dispose();

        using var duplicate = await _client.PostJsonAsync("/api/v1/models", ApiTestHost.Model(id));
        using var fileId = await _client.PostJsonAsync("/api/v1/models", ApiTestHost.Model(ApiFixture.FileModelId));

        Assert.Contains("PUT", await duplicate.AssertFieldProblemAsync(HttpStatusCode.Conflict, "$.id"), StringComparison.Ordinal);
        Assert.Contains("read-only", await fileId.AssertFieldProblemAsync(HttpStatusCode.Conflict, "$.id"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_creates_then_replaces_an_api_model()
    {
        var id = ApiTestHost.Unique("m-put");

        using var created = await _client.PutJsonAsync($"/api/v1/models/{id}", ApiTestHost.Model(id, name: "First"));
        using var replaced = await _client.PutJsonAsync($"/api/v1/models/{id}", ApiTestHost.Model(id, name: "Second"));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Equal("Second", (await _client.GetJsonAsync($"/api/v1/models/{id}")).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Put_with_a_different_id_in_the_body_names_id_and_put_on_a_file_model_is_409()
    {
        using var mismatch = await _client.PutJsonAsync("/api/v1/models/one-id", ApiTestHost.Model("other-id"));
        using var file = await _client.PutJsonAsync($"/api/v1/models/{ApiFixture.FileModelId}", ApiTestHost.Model(ApiFixture.FileModelId));

        Assert.Contains("one-id", await mismatch.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "$.id"), StringComparison.Ordinal);
        await file.AssertProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Delete_removes_an_api_model_and_refuses_file_models_and_models_in_use()
    {
        var id = ApiTestHost.Unique("m-del");
        var used = ApiTestHost.Unique("m-used");
        (await _client.PostJsonAsync("/api/v1/models", ApiTestHost.Model(id))).Dispose();
        (await _client.PostJsonAsync("/api/v1/models", ApiTestHost.Model(used))).Dispose();
        (await _client.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{used}}", "count": 2}""")).Dispose();

        using var deleted = await _client.DeleteAsync($"/api/v1/models/{id}");
        using var again = await _client.DeleteAsync($"/api/v1/models/{id}");
        using var file = await _client.DeleteAsync($"/api/v1/models/{ApiFixture.FileModelId}");
        using var inUse = await _client.DeleteAsync($"/api/v1/models/{used}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await again.AssertProblemAsync(HttpStatusCode.NotFound);
        var fileProblem = await file.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("read-only", fileProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var inUseProblem = await inUse.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("used by group", inUseProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_reports_every_error_with_its_path_and_accepts_a_valid_model()
    {
        var bad = ApiTestHost.Model("v-bad").Replace("\"intervalMs\": 5000", "\"intervalMs\": -1", StringComparison.Ordinal)
            .Replace("\"name\": \"Test v-bad\",", "", StringComparison.Ordinal);

        var invalid = await (await _client.PostJsonAsync("/api/v1/models/validate", bad)).JsonAsync();
        var valid = await (await _client.PostJsonAsync("/api/v1/models/validate", ApiTestHost.Model("v-good"))).JsonAsync();

        Assert.False(invalid.GetProperty("valid").GetBoolean());
        var paths = invalid.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("path").GetString()).ToList();
        Assert.Contains(paths, p => p!.Contains("intervalMs", StringComparison.Ordinal));
        Assert.True(paths.Count >= 2, string.Join(", ", paths));
        Assert.True(valid.GetProperty("valid").GetBoolean());
        Assert.Empty(valid.GetProperty("errors").EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/v1/models/v-good")).StatusCode);
    }
}
