using IoTix.Core.Generators;
using IoTix.Core.Models;
using static IoTix.Tests.Core.Generators.GeneratorKit;

namespace IoTix.Tests.Core.Generators;

public sealed class RandomUniformGeneratorTests
{
    private const int Draws = 100_000;

    [Fact]
    public void Uniform_numbers_have_the_mean_variance_and_bounds_of_the_range()
    {
        var generator = Create(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Min = 20, Max = 30, Distribution = "uniform" }));

        double[] xs = Numbers(generator, TelemetryDataType.Number, Draws);

        Assert.All(xs, x => Assert.InRange(x, 20.0, 30.0));
        Assert.InRange(Mean(xs), 24.95, 25.05);
        Assert.InRange(StdDev(xs) * StdDev(xs), 100.0 / 12 - 0.15, 100.0 / 12 + 0.15);
        var bins = new int[10];
        foreach (double x in xs)
        {
            bins[Math.Min(9, (int)(x - 20))]++;
        }

        Assert.All(bins, count => Assert.InRange(count, Draws / 10 * 0.95, Draws / 10 * 1.05));
    }

    [Fact]
    public void Uniform_is_the_default_distribution()
    {
        var generator = Create(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Min = -1, Max = 1 }));

        double[] xs = Numbers(generator, TelemetryDataType.Number, Draws);

        Assert.InRange(Mean(xs), -0.01, 0.01);
        Assert.InRange(StdDev(xs), Math.Sqrt(4.0 / 12) - 0.01, Math.Sqrt(4.0 / 12) + 0.01);
    }

    [Fact]
    public void Uniform_integers_are_whole_numbers_covering_min_to_max_equally()
    {
        var generator = Create(Item(TelemetryDataType.Integer, new GeneratorDefinition { Type = "random", Min = 5, Max = 50, Distribution = "uniform" }));

        double[] xs = Numbers(generator, TelemetryDataType.Integer, Draws);

        var counts = new int[51];
        foreach (double x in xs)
        {
            Assert.Equal(Math.Floor(x), x);
            Assert.InRange(x, 5, 50);
            counts[(int)x]++;
        }

        for (int v = 5; v <= 50; v++)
        {
            Assert.InRange(counts[v], Draws / 46 * 0.85, Draws / 46 * 1.15);
        }

        Assert.InRange(Mean(xs), 27.3, 27.7);
    }

    [Fact]
    public void Integer_item_without_a_whole_number_in_range_is_an_error()
    {
        var errors = Errors(Item(TelemetryDataType.Integer, new GeneratorDefinition { Type = "random", Min = 0.2, Max = 0.8 }));

        var error = Assert.Single(errors);
        Assert.Contains("no whole number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Uniform_without_max_is_an_error_naming_the_fields()
    {
        var errors = Errors(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Min = 1 }));

        Assert.Contains("min and max", Assert.Single(errors).Message, StringComparison.Ordinal);
    }
}
