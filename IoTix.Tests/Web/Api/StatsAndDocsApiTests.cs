using System.Net;

namespace IoTix.Tests.Web.Api;

public sealed class StatsAndDocsApiTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly HttpClient _client = fixture.CreateClient();

    [Fact]
    public async Task Stats_report_the_seed_counters_and_more()
    {
        var groupId = ApiTestHost.Unique("s-stats");
        (await _client.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{ApiFixture.FileModelId}}", "count": 4, "groupId": "{{groupId}}"}""")).Dispose();

        var stats = await _client.GetJsonAsync("/api/v1/stats");

        Assert.True(stats.GetProperty("deviceCount").GetInt32() >= 4);
        Assert.True(stats.GetProperty("runningDeviceCount").GetInt32() >= 0);
        Assert.True(stats.GetProperty("messagesSent").GetInt64() >= 0);
        Assert.True(stats.GetProperty("devicesByState").GetProperty("created").GetInt32() >= 4);
        Assert.Contains(stats.GetProperty("groups").EnumerateArray(), g => g.GetProperty("groupId").GetString() == groupId);
        Assert.True(long.TryParse(stats.GetProperty("runSeed").GetString(), out _));
        Assert.True(stats.GetProperty("uptimeSeconds").GetDouble() >= 0);
        Assert.Contains("mqtt", stats.GetProperty("protocols").EnumerateArray().Select(p => p.GetString()));
        foreach (var field in new[] { "messagesFailed", "bytesSent", "startedAt", "scheduler" })
        {
            Assert.True(stats.TryGetProperty(field, out _), field);
        }
    }

    [Fact]
    public async Task OpenApi_document_lists_every_api_route()
    {
        var document = await _client.GetJsonAsync("/openapi/v1.json");

        var paths = document.GetProperty("paths");
        foreach (var (path, method) in new[]
        {
            ("/api/v1/models", "get"), ("/api/v1/models", "post"), ("/api/v1/models/{id}", "put"), ("/api/v1/models/{id}", "delete"),
            ("/api/v1/models/validate", "post"), ("/api/v1/devices", "post"), ("/api/v1/devices", "get"), ("/api/v1/devices/{id}/start", "post"),
            ("/api/v1/devices/{id}/stop", "post"), ("/api/v1/devices/{id}/metrics", "get"), ("/api/v1/devices/{id}", "delete"),
            ("/api/v1/groups", "post"), ("/api/v1/groups/{groupId}", "get"), ("/api/v1/groups/{groupId}/start", "post"),
            ("/api/v1/groups/{groupId}/stop", "post"), ("/api/v1/groups/{groupId}/dropout", "post"), ("/api/v1/groups/{groupId}", "delete"),
            ("/api/v1/groups/{groupId}/progress", "get"), ("/api/v1/groups/{groupId}/launch/preview", "get"),
            ("/api/v1/groups/{groupId}/dropout/preview", "get"), ("/api/v1/stats", "get"),
            ("/api/v1/settings", "get"), ("/api/v1/settings", "put"), ("/api/v1/groups/{groupId}/restart", "post"),
        })
        {
            Assert.True(paths.TryGetProperty(path, out var item) && item.TryGetProperty(method, out _), $"{method} {path} missing from the OpenAPI document");
        }

        Assert.Equal("IoTix API", document.GetProperty("info").GetProperty("title").GetString());
        Assert.DoesNotContain(paths.EnumerateObject(), p => p.Name == "/health");
        var createGroup = paths.GetProperty("/api/v1/groups").GetProperty("post");
        Assert.True(createGroup.TryGetProperty("requestBody", out _));
    }

    [Fact]
    public async Task Reference_page_is_served_at_docs()
    {
        using var response = await _client.GetAsync("/docs");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("IoTix API", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
