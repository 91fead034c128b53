using IoTix.Core.Generators;
using IoTix.Core.Models;
using static IoTix.Tests.Core.Generators.GeneratorKit;

namespace IoTix.Tests.Core.Generators;

public sealed class SequenceGeneratorTests
{
    [Fact]
    public void Sequence_counts_up_in_clean_decimal_steps_and_wraps_to_min()
    {
        var generator = Create(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "sequence", Start = 40, Step = 0.1, Min = 40, Max = 85, Wrap = true }));

        double[] xs = Numbers(generator, TelemetryDataType.Number, 460);

        Assert.Equal([40, 40.1, 40.2, 40.3], xs[..4]);
        Assert.Equal(85, xs[450]);
        Assert.Equal(40, xs[451]);
        Assert.Equal(40.1, xs[452]);
    }

    [Fact]
    public void Negative_step_wraps_to_max()
    {
        var generator = Create(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "sequence", Start = 10, Step = -3, Min = 0, Max = 10, Wrap = true }));

        double[] xs = Numbers(generator, TelemetryDataType.Number, 6);

        Assert.Equal([10, 7, 4, 1, 10, 7], xs);
    }

    [Fact]
    public void Without_wrap_the_sequence_stays_at_the_bound()
    {
        var up = Create(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "sequence", Start = 0, Step = 2, Max = 5 }));
        var down = Create(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "sequence", Start = 3, Step = -2, Min = 0, Wrap = false }));

        Assert.Equal([0, 2, 4, 5, 5], Numbers(up, TelemetryDataType.Number, 5));
        Assert.Equal([3, 1, 0, 0], Numbers(down, TelemetryDataType.Number, 4));
    }

    [Fact]
    public void Integer_sequence_rounds_each_value()
    {
        var generator = Create(Item(TelemetryDataType.Integer, new GeneratorDefinition { Type = "sequence", Start = 0, Step = 0.5 }));

        Assert.Equal([0, 1, 1, 2, 2, 3], Numbers(generator, TelemetryDataType.Integer, 6));
    }

    [Fact]
    public void Sequence_defaults_to_start_at_min_with_step_one()
    {
        var generator = Create(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "sequence", Min = 3, Max = 5, Wrap = true }));

        Assert.Equal([3, 4, 5, 3], Numbers(generator, TelemetryDataType.Number, 4));
    }

    [Fact]
    public void Sequence_on_a_string_item_or_wrap_without_bounds_is_an_error()
    {
        var onString = Errors(Item(TelemetryDataType.String, new GeneratorDefinition { Type = "sequence" }));
        var unbounded = Errors(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "sequence", Min = 0, Wrap = true }));

        Assert.Contains("number and integer", Assert.Single(onString).Message, StringComparison.Ordinal);
        Assert.Equal("$.telemetry[0].generator.wrap", Assert.Single(unbounded).Path);
    }
}
