using IoTix.Core.Generators;
using IoTix.Core.Models;
using Microsoft.Extensions.DependencyInjection;
using static IoTix.Tests.Core.Generators.GeneratorKit;

namespace IoTix.Tests.Core.Generators;

public sealed class GeneratorModelCheckTests
{
    private static IReadOnlyList<ModelError> Check(DeviceModel model)
    {
        using var services = Services();
        var context = new ModelCheckContext("model.json", null);
        foreach (var check in services.GetServices<IDeviceModelCheck>())
        {
            check.Check(model, context);
        }

        return context.Errors;
    }

    [Fact]
    public void Generator_specific_problems_are_reported_with_paths()
    {
        var model = Model(
            Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Min = 0, Max = 1 }, "fine"),
            Item(TelemetryDataType.Binary, new GeneratorDefinition { Type = "custom", Handler = "ecg_generator", Config = Json("""{"sampleSize":12}""") }, "ecg"),
            Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "custom", Handler = "script", Script = "function next( {" }, "js"),
            Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "custom", Handler = "nope" }, "unknown"));

        var errors = Check(model);

        Assert.Equal(["$.telemetry[1].generator", "$.telemetry[2].generator", "$.telemetry[3].generator.handler"], errors.Select(e => e.Path));
        Assert.All(errors, e => Assert.Equal("model.json", e.File));
        Assert.Contains("registered: ecg_generator, script", errors[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Checks_the_model_validator_owns_are_not_repeated()
    {
        var model = Model(
            Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Min = 5, Max = 1 }),
            Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "wobble" }),
            Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "replay", DataFile = "/no/such/file.csv", Column = "v" }));

        Assert.Empty(Check(model));
    }
}
