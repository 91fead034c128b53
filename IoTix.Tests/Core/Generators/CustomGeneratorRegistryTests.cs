using IoTix.Core.Generators;
using IoTix.Core.Models;
using Microsoft.Extensions.DependencyInjection;
using static IoTix.Tests.Core.Generators.GeneratorKit;

namespace IoTix.Tests.Core.Generators;

public sealed class CustomGeneratorRegistryTests
{
    /// <summary>A third-party handler as a plugin writes it: a name, validation, and a generator per device.</summary>
    private sealed class CounterHandler : ICustomGeneratorHandler
    {
        public string Name => "counter";

        public int Creates { get; private set; }

        public IReadOnlyList<string> Validate(TelemetryDefinition telemetry) =>
            telemetry.Type == TelemetryDataType.Integer ? [] : ["counter produces integers"];

        public TelemetryGenerator Create(TelemetryDefinition telemetry, in GeneratorContext context)
        {
            Creates++;
            return new CounterGenerator(context.Index * 100);
        }

        private sealed class CounterGenerator(int start) : TelemetryGenerator
        {
            private int _next = start;

            public override void Next(ref TelemetryValue value, long nowMs)
            {
                value.Number = _next++;
                value.HasValue = true;
            }
        }
    }

    [Fact]
    public void Handler_registered_in_di_is_used_for_custom_items()
    {
        var handler = new CounterHandler();
        var factory = NewFactory(s => s.AddSingleton<ICustomGeneratorHandler>(handler));
        var item = Item(TelemetryDataType.Integer, new GeneratorDefinition { Type = "custom", Handler = "Counter" });

        var prepared = factory.Prepare(Model(item), null);
        double[] values = Numbers(prepared.Create(0, Context(index: 3)), TelemetryDataType.Integer, 3);

        Assert.Equal([300, 301, 302], values);
        Assert.Equal(1, handler.Creates);
    }

    [Fact]
    public void Handler_validation_messages_become_model_errors()
    {
        var factory = NewFactory(s => s.AddSingleton<ICustomGeneratorHandler, CounterHandler>());
        var item = Item(TelemetryDataType.String, new GeneratorDefinition { Type = "custom", Handler = "counter" });

        var error = Assert.Single(factory.Prepare(Model(item), null).Errors);

        Assert.Equal("counter: counter produces integers", error.Message);
    }

    [Fact]
    public void Registry_lists_built_in_and_plugin_handlers()
    {
        using var services = Services(s => s.AddSingleton<ICustomGeneratorHandler, CounterHandler>());

        var registry = services.GetRequiredService<CustomGeneratorRegistry>();

        Assert.Equal(["counter", "ecg_generator", "script"], registry.Names);
    }

    [Fact]
    public void Factory_create_without_prepare_caches_per_definition_and_rejects_invalid_items()
    {
        var factory = NewFactory();
        var good = Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "sequence", Start = 1 });
        var bad = Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "sequence", Min = 0, Wrap = true });

        var generator = factory.Create(good, Context());

        Assert.Equal([1, 2], Numbers(generator, TelemetryDataType.Number, 2));
        Assert.Throws<ArgumentException>(() => factory.Create(bad, Context()));
    }

    [Fact]
    public void Invalid_generator_options_fail_at_start_naming_the_key()
    {
        using var services = Services(settings: new Dictionary<string, string?> { ["IoTix:Generators:ScriptTimeoutMs"] = "0" });

        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(
            () => services.GetRequiredService<Microsoft.Extensions.Options.IOptions<GeneratorOptions>>().Value);

        Assert.Contains("IoTix:Generators:ScriptTimeoutMs", ex.Message, StringComparison.Ordinal);
    }
}
