using System.CommandLine;

namespace IoTix.Web.Cli.Run;

/// <summary>
/// The headless run commands: <c>iotix run</c> (one process, optionally one shard of a group),
/// <c>iotix run-sharded</c> (N shard processes and one merged report) and
/// <c>iotix report merge</c>. Documented in docs/cli.md.
/// </summary>
internal static class RunCommands
{
    /// <summary>Adds <c>run</c>, <c>run-sharded</c> and <c>report</c> to the root command.</summary>
    public static void AddTo(RootCommand root, RunEnvironment? environment = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        environment ??= RunEnvironment.Default;
        root.Subcommands.Add(RunCommand.Create(environment));
        root.Subcommands.Add(RunShardedCommand.Create(environment));
        root.Subcommands.Add(ReportCommand.Create());
    }
}

/// <summary>The options of <c>iotix run</c> (all read as text and parsed by <see cref="RunArguments"/>, so every bad value exits 2 with a message naming its option).</summary>
internal sealed class RunOptions
{
    private readonly List<Option<string>> _all = [];

    public RunOptions()
    {
        Add("--model", "<id-or-file>", "Catalog model id (from the model folder) or a model JSON file (validated; errors exit 2)");
        Add("--count", "<N>", "Devices in the group (default 1)");
        Add("--duration", "<time>", "How long the run lasts, launch included: 500ms, 60s, 5m, 1h (default 60s)");
        Add("--group-id", "<id>", "Group id (default: the model id); device ids are the id pattern with the global index");
        Add("--id-pattern", "<pattern>", "Device id pattern (default ${groupId}-${index})");
        Add("--broker", "<mqtt://host:port>", "Broker of mqtt models (wins over MQTT_BROKER_HOST/PORT and the model); mqtts:// turns TLS on");
        Add("--url", "<url>", "Endpoint URL of coap/http models (replaces connection.url)");
        Add("--launch", "<strategy[:...]>", "Launch: immediate | linear:delayMs | batch:batchSize:delayMs | exponential:delayMs[:base[:maxDelayMs]]");
        Add("--launch-strategy", "<name>", "immediate, linear, batch or exponential (overrides --launch's)");
        Add("--launch-delay-ms", "<ms>", "Launch delayMs (default 0)");
        Add("--batch-size", "<N>", "Launch batchSize (default 100)");
        Add("--max-delay-ms", "<ms>", "Launch maxDelayMs of exponential (default 60000)");
        Add("--exponent-base", "<x>", "Launch exponentBase of exponential (default 1.5)");
        Add("--dropout", "<strategy[:amount[:delayMs]]>", "Chaos: drop running devices, e.g. linear:20%:500, immediate:50, random:10%:30000 (window)");
        Add("--dropout-strategy", "<name>", "immediate, linear, exponential or random (overrides --dropout's)");
        Add("--dropout-count", "<N>", "Devices to drop (whole group; shards drop their share)");
        Add("--dropout-percentage", "<pct>", "Percentage of running devices to drop (default 10)");
        Add("--dropout-delay-ms", "<ms>", "Dropout delayMs (default 1000)");
        Add("--dropout-at", "<time>", "When the dropout starts, from the run's start (default: 1 s after the launch ends)");
        Add("--reconnect-after", "<time>", "Dropped devices reconnect this long after their drop (default: they stay dropped)");
        Add("--seed", "<S>", "Run seed (64-bit integer) for an exact replay (default random, reported)");
        Add("--report", "<file>", "Write the JSON report here (also when interrupted)");
        Add("--max-error-rate", "<fraction>", "Exit 1 when failed/(sent+failed) messages exceed this (default 0.01)");
        Add("--max-connect-failures", "<N>", "Exit 1 when more devices fail to connect (default 0)");
        Add("--shard", "<K/N>", "Run the K-th of N disjoint slices of the group: devices with index % N == K-1");
        Add("--progress", "<mode>", "auto (live on a terminal, a line per 5 s otherwise), live, plain or none");
        Add("--log-level", "<level>", "Host log level on standard error (default warning)");
        Add("--stop-timeout", "<time>", "How long devices get to disconnect at the end (default 10s; 1 s when interrupted)");
    }

    public IReadOnlyList<Option<string>> All => _all;

    public void AddTo(Command command)
    {
        foreach (var option in _all)
        {
            command.Options.Add(option);
        }
    }

    public RunArguments Bind(ParseResult parseResult)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var option in _all)
        {
            if (parseResult.GetValue(option) is { } value)
            {
                values[option.Name] = value;
            }
        }

        return new RunArguments(values, [.. parseResult.UnmatchedTokens]);
    }

    private void Add(string name, string helpName, string description) =>
        _all.Add(new Option<string>(name) { Description = description, HelpName = helpName.Trim('<', '>') });
}

/// <summary><c>iotix run</c>: a simulation without the web console, for CI.</summary>
internal static class RunCommand
{
    public static Command Create(RunEnvironment environment)
    {
        var options = new RunOptions();
        var command = new Command(
            "run",
            "Run a simulation headless: live progress, a summary table, a JSON report (--report) and an exit code for CI (0 ok, 1 thresholds breached, 2 usage or model errors, 130 interrupted). Extra --Section:Key=value arguments are configuration settings.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        options.AddTo(command);
        command.SetAction((parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            return RunCommandHandler.RunAsync(options.Bind(parseResult), environment, output, error, cancellationToken);
        });
        return command;
    }
}
