using System.Diagnostics;
using IoTix.Core.Generators;
using IoTix.Core.Models;
using static IoTix.Tests.Core.Generators.GeneratorKit;

namespace IoTix.Tests.Core.Generators;

public sealed class ScriptGeneratorTests
{
    private static TelemetryDefinition Script(string script, TelemetryDataType type = TelemetryDataType.Number) =>
        Item(type, new GeneratorDefinition { Type = "custom", Handler = "script", Script = script });

    [Fact]
    public void Script_value_follows_the_function_of_time()
    {
        var generator = Create(Script("function next(ctx) { return 20 + 5 * Math.sin(ctx.t / 60000); }"));
        var value = new TelemetryValue { Type = TelemetryDataType.Number };

        generator.Next(ref value, 0);
        double atStart = value.Number;
        generator.Next(ref value, (long)(60000 * Math.PI / 2));

        Assert.Equal(20, atStart, 9);
        Assert.Equal(25, value.Number, 6);
    }

    [Fact]
    public void State_persists_per_device_between_calls()
    {
        var prepared = NewFactory().Prepare(Model(Script("function next(ctx) { ctx.state.n = (ctx.state.n || 0) + 1; return ctx.state.n * 10 + ctx.index; }")), null);
        var a = prepared.Create(0, Context("a", index: 1));
        var b = prepared.Create(0, Context("b", index: 2));

        double[] first = Numbers(a, TelemetryDataType.Number, 3);
        double[] second = Numbers(b, TelemetryDataType.Number, 2);

        Assert.Equal([11, 21, 31], first);
        Assert.Equal([12, 22], second);
    }

    [Fact]
    public void Random_is_seeded_per_device_and_math_random_is_deterministic_too()
    {
        const string source = "function next(ctx) { return Math.floor(ctx.random() * 1000) * 1000 + Math.floor(Math.random() * 1000); }";

        double[] run1 = Numbers(Create(Script(source), deviceId: "x", seed: 9), TelemetryDataType.Number, 20);
        double[] run2 = Numbers(Create(Script(source), deviceId: "x", seed: 9), TelemetryDataType.Number, 20);
        double[] other = Numbers(Create(Script(source), deviceId: "y", seed: 9), TelemetryDataType.Number, 20);

        Assert.Equal(run1, run2);
        Assert.NotEqual(run1, other);
        Assert.True(run1.Distinct().Count() > 15);
    }

    [Fact]
    public void String_and_binary_results_are_converted()
    {
        var text = Create(Script("function next(ctx) { return ctx.deviceId + ':' + (ctx.t > 0 ? 'on' : 'off'); }", TelemetryDataType.String), deviceId: "dev9");
        var bytes = Create(Script("function next(ctx) { return [1, 2, 255]; }", TelemetryDataType.Binary));
        var t = new TelemetryValue { Type = TelemetryDataType.String };
        var b = new TelemetryValue { Type = TelemetryDataType.Binary };

        text.Next(ref t, 5);
        bytes.Next(ref b, 0);

        Assert.Equal("dev9:on", t.Text);
        Assert.Equal(new byte[] { 1, 2, 255 }, b.BinarySpan.ToArray());
    }

    [Fact]
    public void Infinite_loop_fails_within_the_time_limit_and_keeps_the_previous_value()
    {
        var generator = Create(Script("function next(ctx) { if (ctx.t > 0) { while (true) { } } return 7; }"));
        var value = new TelemetryValue { Type = TelemetryDataType.Number };
        generator.Next(ref value, 0);

        var watch = Stopwatch.StartNew();
        generator.Next(ref value, 1);
        watch.Stop();

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal(7, value.Number);
        Assert.Equal(1, ((ScriptGenerator)generator).Program.Failures);
    }

    [Fact]
    public void Wrong_result_type_is_a_counted_failure()
    {
        var generator = Create(Script("function next(ctx) { return 'hot'; }"));
        var value = new TelemetryValue { Type = TelemetryDataType.Number };

        generator.Next(ref value, 0);

        Assert.False(value.HasValue);
        Assert.Equal(1, ((ScriptGenerator)generator).Program.Failures);
    }

    [Fact]
    public void Script_cannot_reach_dotnet()
    {
        var generator = Create(Script("function next(ctx) { return typeof System === 'undefined' && typeof importNamespace === 'undefined' ? 1 : 0; }"));

        Assert.Equal([1], Numbers(generator, TelemetryDataType.Number, 1));
    }

    [Theory]
    [InlineData("function next(ctx) { return 1 +; }", "does not compile")]
    [InlineData("function other() { return 1; }", "must define function next(ctx)")]
    [InlineData("throw new Error('boom');", "fails when loaded")]
    [InlineData("", "needs a script")]
    public void Broken_scripts_are_errors_at_load_time(string source, string expected)
    {
        var error = Assert.Single(Errors(Script(source)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
