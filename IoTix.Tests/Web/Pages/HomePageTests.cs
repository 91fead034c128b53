using IoTix.Tests.Core.Models;
using IoTix.Tests.Shared;
using Microsoft.AspNetCore.Hosting;

namespace IoTix.Tests.Web.Pages;

/// <summary>The home page lists the loaded device models and the files that failed to load.</summary>
public sealed class HomePageTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Home_page_lists_models_with_protocol_and_the_load_problems()
    {
        _folder.Write("valve.json", File.ReadAllText(Path.Combine(ModelTestSupport.SeedModelsFolder(), "smart-valve-v1.json")));
        _folder.Write("coap.json", File.ReadAllText(Path.Combine(ModelTestSupport.SeedModelsFolder(), "coap-soil-sensor-v1.json")));
        _folder.Write("broken.json", "{ \"id\": \"broken\" }");
        await using var factory = new IoTixWebFactory().WithWebHostBuilder(b => b.UseSetting("DEVICE_MODEL_PATH", _folder.Path));
        using var client = factory.CreateClient();

        var html = await client.GetStringAsync("/");

        Assert.Contains("Device models", html, StringComparison.Ordinal);
        Assert.Contains("smart-valve-v1", html, StringComparison.Ordinal);
        Assert.Contains("Smart Water Valve", html, StringComparison.Ordinal);
        Assert.Contains("coap-soil-sensor-v1", html, StringComparison.Ordinal);
        Assert.Contains(">coap<", html.Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("broken.json", html, StringComparison.Ordinal);
        Assert.Contains("required property &#x27;name&#x27; is missing", html, StringComparison.Ordinal);
    }
}
