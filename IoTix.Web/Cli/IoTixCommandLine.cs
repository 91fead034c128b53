using System.CommandLine;

namespace IoTix.Web.Cli;

/// <summary>The `iotix` command line: tools that run without the web console.</summary>
public static class IoTixCommandLine
{
    /// <summary>True when <paramref name="args"/> name a command (or ask for help) rather than host options.</summary>
    public static bool IsCommand(string[] args) =>
        args.Length > 0 && (!args[0].StartsWith('-') || args[0] is "-h" or "--help" or "-?" or "--version");

    public static Task<int> InvokeAsync(string[] args, CancellationToken cancellationToken = default) =>
        InvokeAsync(args, Console.Out, Console.Error, cancellationToken);

    /// <summary>Runs the command line with its output captured by <paramref name="output"/> and <paramref name="error"/> (tests).</summary>
    public static async Task<int> InvokeAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var root = CreateRootCommand();
        var configuration = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            // Commands such as `run` stop devices and write their report after Ctrl-C; give them time.
            ProcessTerminationTimeout = TimeSpan.FromSeconds(30),
        };
        var parsed = root.Parse(args);
        int exitCode = await parsed.InvokeAsync(configuration, cancellationToken);

        // A usage error (unknown option, missing value) exits 2 like every other usage error of the tools.
        return parsed.Errors.Count > 0 ? 2 : exitCode;
    }

    internal static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("IoTix: IoT device simulation and MQTT test platform. Without a command, serves the console, API and broker.");
        root.Subcommands.Add(ValidateCommand.Create());
        root.Subcommands.Add(Broker.BrokerCommand.Create()); // broker: IoTix.Web/Broker
        root.Subcommands.Add(Accounts.UsersCommand.Create()); // users reset-password: IoTix.Web/Accounts
        Run.RunCommands.AddTo(root); // run, run-sharded, report merge: IoTix.Web/Cli/Run
        return root;
    }
}
