using System.Text;
using System.Text.Json;
using IoTix.Core;
using IoTix.Core.Devices;
using IoTix.Core.Models;
using IoTix.Core.Protocols;
using IoTix.Core.Protocols.Coap;
using IoTix.Core.Protocols.Http;
using IoTix.Tests.Shared;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IoTix.Tests.Core.Protocols;

/// <summary><c>AddIoTixCore</c> wires the CoAP and HTTP adapters so models with those protocols run out of the box.</summary>
public sealed class ProtocolAdapterRegistrationTests
{
    private static ServiceProvider Build(Dictionary<string, string?>? settings = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddIoTixCore(configuration);
        return services.BuildServiceProvider();
    }

    private static DeviceModel SeedModel(string file, string url)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "seed-models", file);
        var json = File.ReadAllText(path).Replace("coap://localhost:5683", url).Replace("http://localhost:8080", url);
        return JsonSerializer.Deserialize<DeviceModel>(json, DeviceModelSerializer.Options)!;
    }

    [Fact]
    public void AddIoTixCore_registers_one_coap_and_one_http_adapter()
    {
        using var provider = Build();

        var protocols = provider.GetServices<IProtocolAdapter>().Select(a => a.Protocol).ToList();

        Assert.Equal(1, protocols.Count(p => p == "coap"));
        Assert.Equal(1, protocols.Count(p => p == "http"));
        Assert.Same(provider.GetRequiredService<CoapProtocolAdapter>(), provider.GetServices<IProtocolAdapter>().Single(a => a.Protocol == "coap"));
    }

    [Theory]
    [InlineData("Coap:AckTimeoutMs", "0", "IoTix:Simulation:Coap:AckTimeoutMs must be 1..600000")]
    [InlineData("Coap:AckRandomFactor", "0.5", "IoTix:Simulation:Coap:AckRandomFactor must be 1.0..10.0")]
    [InlineData("Coap:DevicesPerSocket", "0", "IoTix:Simulation:Coap:DevicesPerSocket must be 1..65536")]
    [InlineData("Coap:DefaultCommandPath", "commands/${", "IoTix:Simulation:Coap:DefaultCommandPath must be a non-empty path pattern")]
    public void Invalid_coap_settings_fail_naming_the_config_key(string key, string value, string message)
    {
        using var provider = Build(new() { [$"IoTix:Simulation:{key}"] = value });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<CoapOptions>>().Value);

        Assert.Contains(error.Failures, f => f.StartsWith(message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Http:MaxInFlightRequests", "0", "IoTix:Simulation:Http:MaxInFlightRequests must be 1..1000000")]
    [InlineData("Http:MaxConnectionsPerServer", "0", "IoTix:Simulation:Http:MaxConnectionsPerServer must be 1..100000")]
    [InlineData("Http:RequestTimeoutMs", "-1", "IoTix:Simulation:Http:RequestTimeoutMs must be 1..600000")]
    [InlineData("Http:CommandPollIntervalMs", "-5", "IoTix:Simulation:Http:CommandPollIntervalMs must be 0 (off)")]
    public void Invalid_http_settings_fail_naming_the_config_key(string key, string value, string message)
    {
        using var provider = Build(new() { [$"IoTix:Simulation:{key}"] = value });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<HttpOptions>>().Value);

        Assert.Contains(error.Failures, f => f.StartsWith(message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_http_seed_model_runs_through_the_engine_against_kestrel()
    {
        await using var server = await HttpRecordingServer.StartAsync();
        Environment.SetEnvironmentVariable("IOTIX_METER_TOKEN", "meter-token");
        await using var provider = Build(new() { ["IoTix:Simulation:Seed"] = "5" });
        var engine = provider.GetRequiredService<SimulationEngine>();
        engine.Start();
        var model = SeedModel("http-energy-meter-v1.json", server.BaseUrl);

        Assert.True(engine.CreateGroup(model, new DeviceGroupSpec { ModelId = model.Id, Count = 3, GroupId = "meters" }).Succeeded);
        Assert.True(engine.StartGroup("meters").Succeeded);
        await server.WaitForRequestsAsync(3);
        var first = server.Requests.First();

        Assert.StartsWith("/api/ingest/meters-", first.Path);
        Assert.Equal("Bearer meter-token", first.Headers["Authorization"]);
        Assert.Equal("meters", first.Headers["X-Device-Group"]);
        Assert.Contains("activePower", Encoding.UTF8.GetString(first.Body));
        await engine.StopAsync();
    }

    [Fact]
    public async Task The_coap_seed_model_runs_through_the_engine_against_libcoap()
    {
        await using var server = await LibCoapServer.StartAsync();
        await using var provider = Build(new() { ["IoTix:Simulation:Seed"] = "5" });
        var engine = provider.GetRequiredService<SimulationEngine>();
        engine.Start();
        var model = SeedModel("coap-soil-sensor-v1.json", $"coap://127.0.0.1:{server.Port}");

        Assert.True(engine.CreateGroup(model, new DeviceGroupSpec { ModelId = model.Id, Count = 2, GroupId = "soil" }).Succeeded);
        Assert.True(engine.StartGroup("soil").Succeeded);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        string stored = string.Empty;
        while (!stored.Contains("soilMoisture", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "no telemetry stored on the CoAP server");
            stored = await server.ClientAsync("get", "sensors/soil-1/soil");
        }

        Assert.Contains("\"deviceId\":\"soil-1\"", stored);
        Assert.Equal(2, provider.GetRequiredService<CoapProtocolAdapter>().GetMetrics().Connections);
        await engine.StopAsync();
    }
}
