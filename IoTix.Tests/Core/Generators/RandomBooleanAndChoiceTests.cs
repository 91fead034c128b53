using IoTix.Core.Generators;
using IoTix.Core.Models;
using static IoTix.Tests.Core.Generators.GeneratorKit;

namespace IoTix.Tests.Core.Generators;

public sealed class RandomBooleanAndChoiceTests
{
    [Fact]
    public void Random_boolean_is_true_with_probability_mean()
    {
        var generator = Create(Item(TelemetryDataType.Boolean, new GeneratorDefinition { Type = "random", Mean = 0.2 }));
        var value = new TelemetryValue { Type = TelemetryDataType.Boolean };

        int trues = 0;
        for (int i = 0; i < 100_000; i++)
        {
            generator.Next(ref value, i);
            trues += value.Boolean ? 1 : 0;
        }

        Assert.InRange(trues / 100_000.0, 0.195, 0.205);
    }

    [Fact]
    public void Random_boolean_defaults_to_even_odds()
    {
        var generator = Create(Item(TelemetryDataType.Boolean, new GeneratorDefinition { Type = "random" }));
        var value = new TelemetryValue { Type = TelemetryDataType.Boolean };

        int trues = 0;
        for (int i = 0; i < 100_000; i++)
        {
            generator.Next(ref value, i);
            trues += value.Boolean ? 1 : 0;
        }

        Assert.InRange(trues / 100_000.0, 0.495, 0.505);
    }

    [Fact]
    public void Random_boolean_probability_outside_0_to_1_is_an_error()
    {
        var errors = Errors(Item(TelemetryDataType.Boolean, new GeneratorDefinition { Type = "random", Mean = 1.5 }));

        Assert.Contains("probability", Assert.Single(errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_string_picks_every_listed_value_about_equally()
    {
        var generator = Create(Item(TelemetryDataType.String, new GeneratorDefinition { Type = "random", Values = Json("""["idle","running","fault"]""") }));
        var value = new TelemetryValue { Type = TelemetryDataType.String };

        var counts = new Dictionary<string, int>();
        for (int i = 0; i < 30_000; i++)
        {
            generator.Next(ref value, i);
            counts[value.Text!] = counts.GetValueOrDefault(value.Text!) + 1;
        }

        Assert.Equal(["fault", "idle", "running"], counts.Keys.Order());
        Assert.All(counts.Values, c => Assert.InRange(c, 9_500, 10_500));
    }

    [Fact]
    public void Random_number_choice_uses_the_values_list_instead_of_the_range()
    {
        var generator = Create(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Min = 0, Max = 1, Values = Json("[2.5, 7]") }));

        double[] xs = Numbers(generator, TelemetryDataType.Number, 1000);

        Assert.All(xs, x => Assert.True(x is 2.5 or 7));
        Assert.Contains(2.5, xs);
        Assert.Contains(7.0, xs);
    }

    [Fact]
    public void Random_string_without_values_and_mistyped_values_are_errors()
    {
        var missing = Errors(Item(TelemetryDataType.String, new GeneratorDefinition { Type = "random" }));
        var mistyped = Errors(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Values = Json("""[1, "two"]""") }));

        Assert.Contains("values", Assert.Single(missing).Message, StringComparison.Ordinal);
        Assert.Equal("$.telemetry[0].generator.values[1]", Assert.Single(mistyped).Path);
    }
}
