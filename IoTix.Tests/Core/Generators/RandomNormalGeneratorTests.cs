using IoTix.Core.Generators;
using IoTix.Core.Models;
using static IoTix.Tests.Core.Generators.GeneratorKit;

namespace IoTix.Tests.Core.Generators;

public sealed class RandomNormalGeneratorTests
{
    private const int Draws = 100_000;

    [Fact]
    public void Normal_has_the_configured_mean_and_stddev()
    {
        var generator = Create(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Distribution = "normal", Min = 0, Max = 100, Mean = 50, Stddev = 5 }));

        double[] xs = Numbers(generator, TelemetryDataType.Number, Draws);

        Assert.InRange(Mean(xs), 49.95, 50.05);
        Assert.InRange(StdDev(xs), 4.95, 5.05);
        Assert.InRange(Math.Abs(Skewness(xs)), 0, 0.03);
        int withinOneSigma = 0;
        foreach (double x in xs)
        {
            if (Math.Abs(x - 50) <= 5)
            {
                withinOneSigma++;
            }
        }

        Assert.InRange(withinOneSigma / (double)Draws, 0.6827 - 0.006, 0.6827 + 0.006);
    }

    [Fact]
    public void Normal_defaults_to_the_middle_of_the_range_and_a_sixth_of_it_as_stddev()
    {
        var generator = Create(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Distribution = "normal", Min = 0, Max = 60 }));

        double[] xs = Numbers(generator, TelemetryDataType.Number, Draws);

        Assert.InRange(Mean(xs), 29.9, 30.1);
        Assert.InRange(StdDev(xs), 9.6, 10.05);
    }

    [Fact]
    public void Normal_values_stay_within_min_and_max_even_with_a_wide_stddev()
    {
        var generator = Create(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Distribution = "normal", Min = -5, Max = 5, Mean = 0, Stddev = 10 }));

        double[] xs = Numbers(generator, TelemetryDataType.Number, Draws);

        Assert.All(xs, x => Assert.InRange(x, -5.0, 5.0));
        Assert.Contains(5.0, xs);
        Assert.Contains(-5.0, xs);
    }

    [Fact]
    public void Normal_integers_are_rounded_and_within_bounds()
    {
        var generator = Create(Item(TelemetryDataType.Integer, new GeneratorDefinition { Type = "random", Distribution = "normal", Min = 60, Max = 100, Mean = 72, Stddev = 8 }));

        double[] xs = Numbers(generator, TelemetryDataType.Integer, Draws);

        Assert.All(xs, x => Assert.Equal(Math.Round(x), x));
        Assert.All(xs, x => Assert.InRange(x, 60.0, 100.0));
        Assert.InRange(Mean(xs), 72.5, 73.8); // truncation at 1.5 sigma below lifts the mean by about one
    }

    [Fact]
    public void Normal_without_range_or_parameters_is_an_error()
    {
        var errors = Errors(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Distribution = "normal", Mean = 3 }));

        Assert.Contains("stddev", Assert.Single(errors).Message, StringComparison.Ordinal);
    }
}
