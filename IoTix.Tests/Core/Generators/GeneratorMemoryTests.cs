using IoTix.Core.Generators;
using IoTix.Core.Models;
using static IoTix.Tests.Core.Generators.GeneratorKit;

namespace IoTix.Tests.Core.Generators;

/// <summary>
/// Per-device generators stay tiny (a million devices x three items must fit well under 1 GB):
/// the settings are shared, each device holds only its random state or cursor.
/// </summary>
public sealed class GeneratorMemoryTests : IDisposable
{
    private const int Devices = 10_000;
    private readonly string _directory = Directory.CreateTempSubdirectory("iotix-mem-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("random", 56)]
    [InlineData("sequence", 32)]
    [InlineData("replay", 32)]
    [InlineData("constant", 0)]
    public void Creating_a_device_generator_allocates_at_most_a_few_dozen_bytes(string type, int maxBytesPerDevice)
    {
        File.WriteAllText(Path.Combine(_directory, "d.csv"), "v\n1\n2\n");
        var item = Item(TelemetryDataType.Number, new GeneratorDefinition
        {
            Type = type,
            Min = 0,
            Max = 10,
            Value = type == "constant" ? Json("1") : null,
            DataFile = type == "replay" ? "d.csv" : null,
            Column = "v",
        });
        var prepared = NewFactory().Prepare(Model(item), _directory);
        Assert.Empty(prepared.Errors);
        var generators = new TelemetryGenerator[Devices];
        string[] ids = new string[Devices];
        for (int i = 0; i < Devices; i++)
        {
            ids[i] = "device-" + i;
        }

        prepared.Create(0, Context(ids[0]));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Devices; i++)
        {
            generators[i] = prepared.Create(0, new GeneratorContext(ids[i], i, 7, 0, _directory));
        }

        long perDevice = (GC.GetAllocatedBytesForCurrentThread() - before) / Devices;

        Assert.InRange(perDevice, 0, maxBytesPerDevice);
        Assert.All(generators, Assert.NotNull);
    }
}
