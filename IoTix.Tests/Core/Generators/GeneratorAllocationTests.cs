using IoTix.Core.Generators;
using IoTix.Core.Models;
using static IoTix.Tests.Core.Generators.GeneratorKit;

namespace IoTix.Tests.Core.Generators;

/// <summary>Steady-state Next() of every non-script generator allocates nothing (a correctness property, not a timing test).</summary>
public sealed class GeneratorAllocationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("iotix-alloc-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string> Generators() =>
    [
        "uniform", "uniform-integer", "normal", "normal-integer", "exponential", "boolean", "choice",
        "sequence", "constant", "constant-binary", "replay", "replay-text", "ecg",
    ];

    private TelemetryDefinition Definition(string name)
    {
        File.WriteAllText(Path.Combine(_directory, "data.csv"), "ts,value,label\n0,1.5,a\n1000,2.5,b\n2500,3.5,c\n");
        return name switch
        {
            "uniform" => Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Min = 0, Max = 10 }),
            "uniform-integer" => Item(TelemetryDataType.Integer, new GeneratorDefinition { Type = "random", Min = 0, Max = 10 }),
            "normal" => Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Distribution = "normal", Min = 0, Max = 10 }),
            "normal-integer" => Item(TelemetryDataType.Integer, new GeneratorDefinition { Type = "random", Distribution = "normal", Min = 0, Max = 10 }),
            "exponential" => Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Distribution = "exponential", Min = 0, Max = 10 }),
            "boolean" => Item(TelemetryDataType.Boolean, new GeneratorDefinition { Type = "random" }),
            "choice" => Item(TelemetryDataType.String, new GeneratorDefinition { Type = "random", Values = Json("""["a","b"]""") }),
            "sequence" => Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "sequence", Start = 0, Step = 0.1, Min = 0, Max = 5, Wrap = true }),
            "constant" => Item(TelemetryDataType.String, new GeneratorDefinition { Type = "constant", Value = Json("\"ok\"") }),
            "constant-binary" => Item(TelemetryDataType.Binary, new GeneratorDefinition { Type = "constant", Value = Json("\"AQID\"") }),
            "replay" => Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "replay", DataFile = "data.csv", Column = "value", TimestampColumn = "ts" }),
            "replay-text" => Item(TelemetryDataType.String, new GeneratorDefinition { Type = "replay", DataFile = "data.csv", Column = "label" }),
            _ => Item(TelemetryDataType.Binary, new GeneratorDefinition { Type = "custom", Handler = "ecg_generator", Config = Json("""{"samples":200}""") }),
        };
    }

    [Theory]
    [MemberData(nameof(Generators))]
    public void Next_allocates_nothing_after_warm_up(string name)
    {
        var definition = Definition(name);
        var generator = Create(definition, directory: _directory);
        var value = new TelemetryValue { Type = definition.Type };
        int? interval = null;
        for (int i = 0; i < 1_000; i++)
        {
            generator.Next(ref value, i);
            interval = generator.NextIntervalMs;
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            generator.Next(ref value, i);
            interval = generator.NextIntervalMs ?? interval;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(value.HasValue);
    }
}
