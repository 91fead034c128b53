using IoTix.Core.Generators;
using IoTix.Core.Models;
using static IoTix.Tests.Core.Generators.GeneratorKit;

namespace IoTix.Tests.Core.Generators;

public sealed class ConstantGeneratorTests
{
    [Theory]
    [InlineData(TelemetryDataType.Number, "22.5")]
    [InlineData(TelemetryDataType.Integer, "72")]
    public void Constant_number_repeats_its_value(TelemetryDataType type, string json)
    {
        var generator = Create(Item(type, new GeneratorDefinition { Type = "constant", Value = Json(json) }));

        double[] xs = Numbers(generator, type, 3);

        Assert.All(xs, x => Assert.Equal(double.Parse(json, System.Globalization.CultureInfo.InvariantCulture), x));
    }

    [Fact]
    public void Constant_string_boolean_and_binary_values_are_produced()
    {
        var text = Create(Item(TelemetryDataType.String, new GeneratorDefinition { Type = "constant", Value = Json("\"connected\"") }));
        var flag = Create(Item(TelemetryDataType.Boolean, new GeneratorDefinition { Type = "constant", Value = Json("true") }));
        var blob = Create(Item(TelemetryDataType.Binary, new GeneratorDefinition { Type = "constant", Value = Json("\"AQID\"") }));
        var t = new TelemetryValue { Type = TelemetryDataType.String };
        var b = new TelemetryValue { Type = TelemetryDataType.Boolean };
        var x = new TelemetryValue { Type = TelemetryDataType.Binary };

        text.Next(ref t, 0);
        flag.Next(ref b, 0);
        blob.Next(ref x, 0);

        Assert.Equal("connected", t.Text);
        Assert.True(b.Boolean && b.HasValue);
        Assert.Equal(new byte[] { 1, 2, 3 }, x.BinarySpan.ToArray());
    }

    [Fact]
    public void Constant_generator_is_one_shared_instance_for_all_devices()
    {
        var prepared = NewFactory().Prepare(Model(Item(TelemetryDataType.String, new GeneratorDefinition { Type = "constant", Value = Json("\"on\"") })), null);

        var first = prepared.Create(0, Context("a"));
        var second = prepared.Create(0, Context("b"));

        Assert.Same(first, second);
    }

    [Fact]
    public void Constant_of_the_wrong_type_or_without_value_is_an_error()
    {
        var wrongType = Errors(Item(TelemetryDataType.Integer, new GeneratorDefinition { Type = "constant", Value = Json("\"seven\"") }));
        var fractional = Errors(Item(TelemetryDataType.Integer, new GeneratorDefinition { Type = "constant", Value = Json("7.5") }));
        var missing = Errors(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "constant" }));

        Assert.Contains("expected a number", Assert.Single(wrongType).Message, StringComparison.Ordinal);
        Assert.Contains("whole number", Assert.Single(fractional).Message, StringComparison.Ordinal);
        Assert.Equal("$.telemetry[0].generator.value", Assert.Single(missing).Path);
    }

    [Fact]
    public void Failed_item_gets_a_generator_that_never_produces_a_value()
    {
        var prepared = NewFactory().Prepare(Model(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "constant" })), null);
        var value = new TelemetryValue { Type = TelemetryDataType.Number };

        prepared.Create(0, Context()).Next(ref value, 0);

        Assert.False(prepared.IsValid);
        Assert.False(value.HasValue);
    }
}
