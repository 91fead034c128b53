using IoTix.Core;
using IoTix.Core.Generators;
using IoTix.Core.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static IoTix.Tests.Core.Models.ModelTestSupport;

namespace IoTix.Tests.Core.Models;

/// <summary>Every shipped seed model validates with the validator the host uses.</summary>
public sealed class SeedModelTests
{
    private static List<string> SeedFileNames() =>
        [.. Directory.EnumerateFiles(SeedModelsFolder(), "*.json", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".schema.json", StringComparison.Ordinal))
            .Select(f => Path.GetFileName(f))
            .Order(StringComparer.Ordinal)];

    public static TheoryData<string> SeedFiles() => new(SeedFileNames());

    /// <summary>The host's validator from <c>AddIoTixCore</c>; a stand-in ecg_generator only while no feature registers the real one.</summary>
    private static DeviceModelValidator HostValidator()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddIoTixCore(new ConfigurationBuilder().Build());
        using (var probe = services.BuildServiceProvider())
        {
            if (!probe.GetServices<ICustomGeneratorHandler>().Any(h => h.Name == "ecg_generator"))
            {
                services.AddSingleton<ICustomGeneratorHandler, TestEcgHandler>();
            }
        }

        return services.BuildServiceProvider().GetRequiredService<DeviceModelValidator>();
    }

    [Theory]
    [MemberData(nameof(SeedFiles))]
    public void Seed_model_is_valid(string file)
    {
        var result = HostValidator().ValidateFile(Path.Combine(SeedModelsFolder(), file));

        Assert.True(result.IsValid, Describe(result));
        Assert.Equal(Path.GetFileNameWithoutExtension(file), result.Model.Id);
    }

    [Fact]
    public void Seed_models_cover_every_protocol_and_device_type_but_custom()
    {
        var validator = HostValidator();
        var models = SeedFileNames().Select(f => validator.ValidateFile(Path.Combine(SeedModelsFolder(), f)).Model!).ToList();

        Assert.Equal(8, models.Count);
        Assert.Equal([DeviceProtocol.Mqtt, DeviceProtocol.Coap, DeviceProtocol.Http], models.Select(m => m.Protocol).Distinct().Order());
        Assert.Contains(models, m => m.Type == DeviceType.Actuator && m.Commands.Count > 0 && m.State is { Count: > 0 } && m.Behaviors.Any(b => b.Trigger.Type == "command"));
        Assert.Contains(models, m => m.Type == DeviceType.Gateway);
    }

    [Fact]
    public void Replay_seed_data_has_a_timestamp_and_a_value_column_and_hundreds_of_rows()
    {
        var lines = File.ReadAllLines(Path.Combine(SeedModelsFolder(), "data", "sensor-readings.csv"));

        Assert.Equal("timestamp,value", lines[0]);
        Assert.InRange(lines.Length - 1, 200, 5000);
        Assert.All(lines.Skip(1), l => Assert.True(double.TryParse(l.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture, out _), l));
    }
}
