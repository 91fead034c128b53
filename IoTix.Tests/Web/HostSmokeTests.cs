using System.Net;
using System.Text.Json;
using IoTix.Tests.Shared;

namespace IoTix.Tests.Web;

public sealed class HostSmokeTests(IoTixWebFactory factory) : IClassFixture<IoTixWebFactory>
{
    [Fact]
    public async Task Health_endpoint_reports_healthy_as_json()
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("healthy", body.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Home_page_renders_the_console()
    {
        using var client = factory.CreateClient();

        var html = await client.GetStringAsync("/");

        Assert.Contains("Device models", html, StringComparison.Ordinal);
    }
}
