using System.Globalization;
using System.Text.Json;
using IoTix.Core.Generators;
using IoTix.Core.Models;
using IoTix.Tests.Core.Generators;
using IoTix.Tests.Core.Models;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Core.Devices;

/// <summary>The engine runs seed models loaded from their files, with the real generators and payload writer.</summary>
public sealed class SeedModelSimulationTests
{
    private static DeviceModel LoadSeed(string file)
    {
        var path = Path.Combine(ModelTestSupport.SeedModelsFolder(), file);
        var validator = new DeviceModelValidator([], GeneratorKit.Services().GetServices<ICustomGeneratorHandler>());
        var result = validator.Validate(File.ReadAllText(path), path, Path.GetDirectoryName(path));
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        return result.Model!;
    }

    [Fact]
    public async Task Replay_model_resolves_its_csv_next_to_the_model_file_and_publishes_its_rows_in_order()
    {
        var model = LoadSeed("replay-sensor-v1.json");
        var rows = File.ReadLines(Path.Combine(ModelTestSupport.SeedModelsFolder(), "data", "sensor-readings.csv"))
            .Skip(1).Take(3).Select(l => double.Parse(l.Split(',')[1], CultureInfo.InvariantCulture)).ToArray();
        await using var fixture = new EngineFixture();
        fixture.CreateGroup(model, 1, "replay");

        Assert.True(fixture.Engine.StartGroup("replay").Succeeded);
        fixture.Advance(2500);

        var values = fixture.Adapter.Messages
            .Select(m => JsonDocument.Parse(m.Payload).RootElement.GetProperty("measurement").GetDouble())
            .ToArray();
        Assert.Equal(rows, values);
    }

    [Fact]
    public async Task Ecg_model_publishes_base64_samples_of_the_configured_length()
    {
        var model = LoadSeed("ecg-monitor-v1.json");
        await using var fixture = new EngineFixture();
        fixture.CreateGroup(model, 2, "ecg");

        Assert.True(fixture.Engine.StartGroup("ecg").Succeeded);
        fixture.Advance(1000);

        var samples = fixture.Adapter.Messages
            .Select(m => JsonDocument.Parse(m.Payload).RootElement)
            .Where(p => p.TryGetProperty("ecgSamples", out _))
            .Select(p => p.GetProperty("ecgSamples").GetBytesFromBase64())
            .ToArray();
        Assert.NotEmpty(samples);
        Assert.All(samples, s => Assert.Equal(200 * 2, s.Length));
    }
}
