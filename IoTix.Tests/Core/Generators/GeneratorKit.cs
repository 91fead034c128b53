using System.Text.Json;
using IoTix.Core;
using IoTix.Core.Generators;
using IoTix.Core.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Core.Generators;

/// <summary>Builds generators the way the engine does: the real DI registration, then Prepare and Create.</summary>
internal static class GeneratorKit
{
    public static ServiceProvider Services(Action<IServiceCollection>? configure = null, IDictionary<string, string?>? settings = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddIoTixCore(configuration);
        configure?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    public static TelemetryGeneratorFactory NewFactory(Action<IServiceCollection>? configure = null) =>
        Services(configure).GetRequiredService<TelemetryGeneratorFactory>();

    public static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    public static TelemetryDefinition Item(TelemetryDataType type, GeneratorDefinition generator, string name = "value") =>
        new() { Name = name, Type = type, Generator = generator };

    public static DeviceModel Model(params TelemetryDefinition[] items) =>
        new() { Id = "test-model", Name = "Test model", Telemetry = items };

    public static GeneratorContext Context(string deviceId = "device-1", int index = 0, ulong seed = 42, int stream = 0, string? directory = null) =>
        new(deviceId, index, seed, stream, directory);

    /// <summary>Prepares a one-item model, fails the test on preparation errors, creates the generator of one device.</summary>
    public static TelemetryGenerator Create(TelemetryDefinition item, string deviceId = "device-1", ulong seed = 42, string? directory = null, TelemetryGeneratorFactory? factory = null, int index = 0)
    {
        var prepared = (factory ?? NewFactory()).Prepare(Model(item), directory);
        Assert.Empty(prepared.Errors);
        return prepared.Create(0, Context(deviceId, index, seed, 0, directory));
    }

    public static IReadOnlyList<ModelError> Errors(TelemetryDefinition item, string? directory = null) =>
        NewFactory().Prepare(Model(item), directory).Errors;

    public static double[] Numbers(TelemetryGenerator generator, TelemetryDataType type, int count)
    {
        var value = new TelemetryValue { Type = type };
        var result = new double[count];
        for (int i = 0; i < count; i++)
        {
            generator.Next(ref value, i * 1000L);
            Assert.True(value.HasValue);
            result[i] = value.Number;
        }

        return result;
    }

    public static double Mean(double[] xs)
    {
        double sum = 0;
        foreach (double x in xs)
        {
            sum += x;
        }

        return sum / xs.Length;
    }

    public static double StdDev(double[] xs)
    {
        double mean = Mean(xs), sum = 0;
        foreach (double x in xs)
        {
            sum += (x - mean) * (x - mean);
        }

        return Math.Sqrt(sum / (xs.Length - 1));
    }

    public static double Skewness(double[] xs)
    {
        double mean = Mean(xs), sd = StdDev(xs), sum = 0;
        foreach (double x in xs)
        {
            double z = (x - mean) / sd;
            sum += z * z * z;
        }

        return sum / xs.Length;
    }

    public static double Median(double[] xs)
    {
        var sorted = (double[])xs.Clone();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }
}
