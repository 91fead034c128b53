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
    public static Task<int> InvokeAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var root = CreateRootCommand();
        var configuration = new InvocationConfiguration { Output = output, Error = error };
        return root.Parse(args).InvokeAsync(configuration, cancellationToken);
    }

    internal static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("IoTix: IoT device simulation and MQTT test platform. Without a command, serves the console, API and broker.");
        root.Subcommands.Add(ValidateCommand.Create());
        root.Subcommands.Add(Broker.BrokerCommand.Create()); // broker: IoTix.Web/Broker
        Run.RunCommands.AddTo(root); // run, run-sharded, report merge: IoTix.Web/Cli/Run
        return root;
    }
}
