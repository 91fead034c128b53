using IoTix.Core.Behaviors;
using IoTix.Core.Generators;
using IoTix.Core.Models;

namespace IoTix.Tests.Core.Behaviors;

public sealed class ConditionExpressionTests
{
    private static readonly string[] Names = ["heartRate", "leadStatus", "cpu", "power"];

    private static int Slot(string name) => Array.IndexOf(Names, name);

    private static bool Eval(string condition, double heartRate = 72, string leadStatus = "connected", double cpu = 50, bool power = true)
    {
        Assert.True(ConditionExpression.TryParse(condition, Slot, out var expression, out var error), error?.Message);
        TelemetryValue[] telemetry =
        [
            new() { Type = TelemetryDataType.Integer, Number = heartRate, HasValue = true },
            new() { Type = TelemetryDataType.String, Text = leadStatus, HasValue = true },
            new() { Type = TelemetryDataType.Number, Number = cpu, HasValue = true },
        ];
        TelemetryValue[] state = [new() { Type = TelemetryDataType.Boolean, Boolean = power, Number = power ? 1 : 0, HasValue = true }];
        return expression.Evaluate(telemetry, state);
    }

    [Theory]
    [InlineData(130, true)]
    [InlineData(45, true)]
    [InlineData(72, false)]
    [InlineData(120, false)]
    public void The_seed_arrhythmia_condition_evaluates(double heartRate, bool expected)
    {
        Assert.Equal(expected, Eval("heartRate > 120 || heartRate < 50", heartRate));
    }

    [Theory]
    [InlineData("cpu >= 50 && cpu <= 50", true)]
    [InlineData("!(cpu > 10)", false)]
    [InlineData("cpu * 2 - 10 / 5 == 98", true)]
    [InlineData("(cpu + 10) * 2 != 120", false)]
    [InlineData("-cpu < 0", true)]
    [InlineData("leadStatus == 'connected'", true)]
    [InlineData("leadStatus != \"connected\"", false)]
    [InlineData("leadStatus == 1", false)]
    [InlineData("power == true && !false", true)]
    [InlineData("power", true)]
    [InlineData("1.5e1 == 15", true)]
    public void Operators_and_literals_evaluate(string condition, bool expected)
    {
        Assert.Equal(expected, Eval(condition));
    }

    [Fact]
    public void A_value_not_produced_yet_makes_comparisons_false()
    {
        Assert.True(ConditionExpression.TryParse("heartRate < 50 || heartRate >= 50", Slot, out var expression, out _));

        Assert.False(expression.Evaluate(new TelemetryValue[3], []));
    }

    [Theory]
    [InlineData("heartRate > ", 12, "unexpected end of the condition")]
    [InlineData("heartRate >> 5", 11, "unexpected '>'")]
    [InlineData("(cpu > 5", 8, "expected ')'")]
    [InlineData("temperature > 5", 0, "unknown identifier 'temperature'")]
    [InlineData("cpu = 5", 4, "unexpected '='")]
    [InlineData("leadStatus == 'abc", 14, "unclosed string literal")]
    [InlineData("", 0, "the condition is empty")]
    public void Parse_errors_report_the_position(string condition, int position, string message)
    {
        Assert.False(ConditionExpression.TryParse(condition, Slot, out _, out var error));

        Assert.Equal(position, error!.Position);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluation_allocates_nothing()
    {
        Assert.True(ConditionExpression.TryParse("heartRate > 120 || heartRate < 50 && leadStatus == 'connected'", Slot, out var expression, out _));
        var telemetry = new TelemetryValue[] { new() { Type = TelemetryDataType.Integer, Number = 70, HasValue = true }, new() { Type = TelemetryDataType.String, Text = "connected", HasValue = true }, default };
        expression.Evaluate(telemetry, []);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            expression.Evaluate(telemetry, []);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
