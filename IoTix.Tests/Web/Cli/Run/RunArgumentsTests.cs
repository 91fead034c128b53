using IoTix.Core.Strategies;
using IoTix.Web.Cli.Run;

namespace IoTix.Tests.Web.Cli.Run;

/// <summary><c>iotix run</c> options: long options over the compact forms, configuration tokens, usage errors exit 2.</summary>
public sealed class RunArgumentsTests : IDisposable
{
    private readonly RunHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private static RunArguments Args(params (string Name, string Value)[] values) =>
        new(values.ToDictionary(v => v.Name, v => v.Value));

    [Fact]
    public void Long_launch_options_override_the_compact_form()
    {
        var args = Args(("--model", "m"), ("--launch", "batch:500:1000"), ("--launch-delay-ms", "250"));

        Assert.True(args.TryBuild(out var settings, out var errors), string.Join("; ", errors));

        Assert.Equal(LaunchStrategyKind.Batch, settings.Launch.Strategy);
        Assert.Equal(500, settings.Launch.BatchSize);
        Assert.Equal(250, settings.Launch.DelayMs);
    }

    [Fact]
    public void Dropout_with_reconnect_after_reconnects_after_that_delay()
    {
        var args = Args(("--model", "m"), ("--dropout", "linear:20%:500"), ("--reconnect-after", "30s"));

        Assert.True(args.TryBuild(out var settings, out _));

        Assert.NotNull(settings.Dropout);
        Assert.True(settings.Dropout.Reconnect);
        Assert.Equal(30_000, settings.Dropout.ReconnectDelayMs);
        Assert.Equal(20, settings.Dropout.Percentage);
    }

    [Fact]
    public void Defaults_are_one_device_sixty_seconds_immediate_and_one_percent()
    {
        Assert.True(Args(("--model", "m")).TryBuild(out var settings, out _));

        Assert.Equal(1, settings.Count);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.Duration);
        Assert.Equal(LaunchStrategyKind.Immediate, settings.Launch.Strategy);
        Assert.Equal(0.01, settings.MaxErrorRate);
        Assert.Equal(0, settings.MaxConnectFailures);
        Assert.True(settings.Shard.IsWhole);
    }

    [Fact]
    public void Configuration_tokens_become_overrides_and_other_unknown_tokens_are_errors()
    {
        var problems = new List<string>();

        var overrides = RunArguments.ParseConfigurationTokens(["--IoTix:Simulation:OutboundQueueLimit=5000", "--IoTix:Simulation:Mqtt:LocalAddresses:0", "127.0.0.2", "--durations", "5s"], problems);

        Assert.Equal("5000", overrides["IoTix:Simulation:OutboundQueueLimit"]);
        Assert.Equal("127.0.0.2", overrides["IoTix:Simulation:Mqtt:LocalAddresses:0"]);
        var problem = Assert.Single(problems);
        Assert.Contains("unknown option '--durations'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_bad_value_is_reported_and_the_exit_code_is_2()
    {
        var (exit, _, error) = await _harness.InvokeAsync(["run", "--model", "sensor", "--count", "0", "--duration", "soon", "--shard", "3/2", "--launch", "batch:x"]);

        Assert.Equal(RunExitCodes.Usage, exit);
        Assert.Contains("run: --count: must be a whole number of at least 1 (got '0')", error, StringComparison.Ordinal);
        Assert.Contains("run: --duration: 'soon' is not a duration", error, StringComparison.Ordinal);
        Assert.Contains("run: --shard: K must be 1..N", error, StringComparison.Ordinal);
        Assert.Contains("run: --launch: batchSize must be a whole number", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_model_is_a_usage_error()
    {
        var (exit, _, error) = await _harness.InvokeAsync(["run", "--count", "3"]);

        Assert.Equal(RunExitCodes.Usage, exit);
        Assert.Contains("--model: required", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shards_beyond_the_device_count_are_refused()
    {
        var (exit, _, error) = await _harness.InvokeAsync(["run", "--model", "sensor", "--count", "2", "--shard", "1/3"]);

        Assert.Equal(RunExitCodes.Usage, exit);
        Assert.Contains("--shard: 1/3 needs at least 3 devices", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_catalog_model_lists_the_known_ones()
    {
        var (exit, _, error) = await _harness.InvokeAsync(["run", "--model", "nope", "--duration", "1s"]);

        Assert.Equal(RunExitCodes.Usage, exit);
        Assert.Contains("no model 'nope' in the model folder", error, StringComparison.Ordinal);
        Assert.Contains("indexed, sensor", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_model_file_prints_file_path_and_message_and_exits_2()
    {
        var file = _harness.Write("broken.json", RunHarness.SensorModel.Replace("\"topicPattern\"", "\"qos\": 3, \"topicPattern\"", StringComparison.Ordinal).Replace("\"intervalMs\": 1000", "\"intervalMs\": \"fast\"", StringComparison.Ordinal));

        var (exit, _, error) = await _harness.InvokeAsync(["run", "--model", file, "--duration", "1s"]);

        Assert.Equal(RunExitCodes.Usage, exit);
        Assert.Contains($"{file}: $.connection.qos: must be at most 2 (found 3)", error, StringComparison.Ordinal);
        Assert.Contains($"{file}: $.telemetry[0].intervalMs: must be a whole number (found \"fast\")", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Url_on_an_mqtt_model_is_refused_with_the_right_option_named()
    {
        var (exit, _, error) = await _harness.InvokeAsync(["run", "--model", "sensor", "--url", "http://127.0.0.1:9/x", "--duration", "1s"]);

        Assert.Equal(RunExitCodes.Usage, exit);
        Assert.Contains("--url: model 'sensor' speaks mqtt; give the broker with --broker", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_setting_the_host_refuses_names_its_key_and_exits_2()
    {
        var (exit, _, error) = await _harness.InvokeAsync(["run", "--model", "sensor", "--duration", "1s", "--IoTix:Simulation:OutboundQueueLimit=0"]);

        Assert.Equal(RunExitCodes.Usage, exit);
        Assert.Contains("IoTix:Simulation:OutboundQueueLimit must be at least 1", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Broker_option_wins_over_the_environment_variables_through_the_derived_keys()
    {
        Assert.True(Args(("--model", "m"), ("--broker", "mqtt://10.1.2.3:1999"), ("--seed", "42")).TryBuild(out var settings, out _));

        var derived = RunHost.DerivedSettings(settings);

        Assert.Equal("10.1.2.3", derived["MQTT_BROKER_HOST"]);
        Assert.Equal("1999", derived["MQTT_BROKER_PORT"]);
        Assert.Equal("10.1.2.3", derived["IoTix:Simulation:BrokerHost"]);
        Assert.Equal("1999", derived["IoTix:Simulation:BrokerPort"]);
        Assert.Equal("42", derived["IoTix:Simulation:Seed"]);
        Assert.Equal("false", derived["IoTix:Models:Watch"]);
    }
}
