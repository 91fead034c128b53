using IoTix.Core.Generators;
using IoTix.Core.Models;
using static IoTix.Tests.Core.Generators.GeneratorKit;

namespace IoTix.Tests.Core.Generators;

public sealed class RandomExponentialGeneratorTests
{
    private const int Draws = 100_000;

    [Fact]
    public void Exponential_defaults_to_a_fifth_of_the_range_truncated_at_max()
    {
        var generator = Create(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Distribution = "exponential", Min = 0, Max = 500 }));

        double[] xs = Numbers(generator, TelemetryDataType.Number, Draws);

        // Exp(100) truncated at 500: mean 100 - 500 e^-5 / (1 - e^-5) = 96.6, skewness 1.50 (2 untruncated).
        Assert.InRange(Mean(xs), 95.1, 98.1);
        Assert.InRange(Median(xs), 66.0, 71.5);
        Assert.InRange(Skewness(xs), 1.38, 1.62);
        Assert.All(xs, x => Assert.InRange(x, 0.0, 500.0));
        Assert.DoesNotContain(500.0, xs);
    }

    [Fact]
    public void Exponential_with_a_mean_and_no_max_starts_at_min()
    {
        var generator = Create(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Distribution = "exponential", Min = 5, Mean = 10 }));

        double[] xs = Numbers(generator, TelemetryDataType.Number, Draws);

        Assert.InRange(Mean(xs), 14.85, 15.15);
        Assert.InRange(StdDev(xs), 9.8, 10.2);
        Assert.InRange(Skewness(xs), 1.8, 2.2);
        Assert.All(xs, x => Assert.True(x >= 5));
    }

    [Fact]
    public void Exponential_integers_are_whole_numbers_in_range()
    {
        var generator = Create(Item(TelemetryDataType.Integer, new GeneratorDefinition { Type = "random", Distribution = "exponential", Min = 0, Max = 500 }));

        double[] xs = Numbers(generator, TelemetryDataType.Integer, Draws);

        Assert.All(xs, x => Assert.Equal(Math.Round(x), x));
        Assert.All(xs, x => Assert.InRange(x, 0.0, 500.0));
        Assert.InRange(Mean(xs), 95.1, 98.1);
    }

    [Fact]
    public void Unknown_distribution_is_an_error()
    {
        var errors = Errors(Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "random", Distribution = "poisson", Min = 0, Max = 1 }));

        Assert.Contains("poisson", Assert.Single(errors).Message, StringComparison.Ordinal);
    }
}
