using IoTix.Core.Generators;
using IoTix.Core.Models;
using IoTix.Core.Payloads;
using static IoTix.Tests.Core.Generators.GeneratorKit;

namespace IoTix.Tests.Core.Generators;

public sealed class GeneratorDeterminismTests
{
    private static DeviceModel Mixed() => Model(
        Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Min = 15, Max = 35, Distribution = "normal", Mean = 22, Stddev = 3 }, "temperature"),
        Item(TelemetryDataType.Integer, new GeneratorDefinition { Type = "random", Min = 0, Max = 500, Distribution = "exponential" }, "aqi"),
        Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Min = 0, Max = 1 }, "uniform"),
        Item(TelemetryDataType.Boolean, new GeneratorDefinition { Type = "random" }, "door"),
        Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "sequence", Start = 40, Step = 0.1, Min = 40, Max = 85, Wrap = true }, "memory"),
        Item(TelemetryDataType.Binary, new GeneratorDefinition { Type = "custom", Handler = "ecg_generator", Config = Json("""{"samples":20}""") }, "ecg"),
        Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "custom", Handler = "script", Script = "function next(ctx) { return ctx.random(); }" }, "scripted"));

    /// <summary>Runs one device for 50 ticks in a fresh factory and returns every payload's bytes.</summary>
    private static byte[] Run(string deviceId, ulong seed)
    {
        var model = Mixed();
        var prepared = NewFactory().Prepare(model, null);
        Assert.Empty(prepared.Errors);
        var generators = new TelemetryGenerator[prepared.Count];
        prepared.CreateAll(generators, deviceId, 0, seed);
        var values = new TelemetryValue[prepared.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i].Type = model.Telemetry[i].Type;
        }

        var layout = new TelemetryPayloadLayout(model);
        var writer = new TelemetryPayloadWriter();
        var id = TelemetryPayloadLayout.EncodeDeviceId(deviceId);
        var output = new List<byte>();
        for (int tick = 0; tick < 50; tick++)
        {
            for (int i = 0; i < generators.Length; i++)
            {
                generators[i].Next(ref values[i], tick * 1000L);
            }

            output.AddRange(writer.WriteAll(layout, id, values, 1_767_225_600_000 + (tick * 1000L)).ToArray());
        }

        return [.. output];
    }

    [Fact]
    public void Same_seed_and_device_give_the_same_bytes_across_factories()
    {
        Assert.Equal(Run("sensor-7", 1234), Run("sensor-7", 1234));
    }

    [Fact]
    public void Different_devices_and_seeds_give_different_values()
    {
        byte[] reference = Run("sensor-7", 1234);

        Assert.NotEqual(reference, Run("sensor-8", 1234));
        Assert.NotEqual(reference, Run("sensor-7", 1235));
    }

    [Fact]
    public void Items_of_one_device_draw_from_independent_streams()
    {
        var item = Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Min = 0, Max = 1 });
        var prepared = NewFactory().Prepare(Model(item, item), null);
        var generators = new TelemetryGenerator[2];

        prepared.CreateAll(generators, "d", 0, 5);

        Assert.NotEqual(Numbers(generators[0], TelemetryDataType.Number, 10), Numbers(generators[1], TelemetryDataType.Number, 10));
    }
}
