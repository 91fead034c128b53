using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;

namespace IoTix.Web.Cli.Run;

/// <summary>Starts one shard of a sharded run and returns its exit code.</summary>
internal interface IShardLauncher
{
    /// <param name="shard">The shard (1-based) this process runs.</param>
    /// <param name="arguments">The full command line of the shard (<c>run ... --shard K/N</c>).</param>
    /// <param name="output">Where the shard's output lines go (prefixed by the launcher).</param>
    /// <param name="cancellationToken">Cancelled to interrupt the shard (it still writes its report).</param>
    Task<int> RunAsync(ShardSpec shard, IReadOnlyList<string> arguments, TextWriter output, CancellationToken cancellationToken);
}

/// <summary>
/// <c>iotix run-sharded --shards N [run options]</c>: starts N processes of <c>iotix run --shard K/N</c>
/// with the same options and one seed, each on its own loopback source address when the broker is
/// local, then merges their reports into one summary (and <c>--report</c>), exiting as the merged run.
/// </summary>
internal static class RunShardedCommand
{
    public static Command Create(RunEnvironment environment)
    {
        var options = new RunOptions();
        var shards = new Option<string>("--shards") { Description = "Number of shard processes (at least 1)", HelpName = "N" };
        var shardReports = new Option<string>("--shard-reports") { Description = "Folder of the shards' own reports (default: a new temporary folder)", HelpName = "folder" };
        var sources = new Option<string>("--source-addresses") { Description = "auto (127.0.0.K+1 per shard when --broker or MQTT_BROKER_HOST is a loopback address), loopback (always), none", HelpName = "mode" };
        var command = new Command(
            "run-sharded",
            "Run one large simulation as N processes of 'iotix run --shard K/N' with the same options, then merge their reports into one summary. Exit codes as 'run'.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        options.AddTo(command);
        command.Options.Add(shards);
        command.Options.Add(shardReports);
        command.Options.Add(sources);
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            options.Bind(parseResult),
            parseResult.GetValue(shards),
            parseResult.GetValue(shardReports),
            parseResult.GetValue(sources),
            environment,
            parseResult.InvocationConfiguration.Output,
            parseResult.InvocationConfiguration.Error,
            cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(RunArguments arguments, string? shardsText, string? reportsFolder, string? sourcesText, RunEnvironment environment, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        if (!int.TryParse(shardsText, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
        {
            problems.Add($"--shards: required, a whole number of at least 1 (got '{shardsText}')");
        }

        if (arguments.Shard is not null)
        {
            problems.Add("--shard: run-sharded chooses the shards itself; give --shards N");
        }

        var sources = (sourcesText ?? "auto").ToLowerInvariant();
        if (sources is not ("auto" or "loopback" or "none"))
        {
            problems.Add($"--source-addresses: use auto, loopback or none (got '{sourcesText}')");
        }

        if (!arguments.TryBuild(out var settings, out var runProblems))
        {
            problems.AddRange(runProblems);
        }
        else if (n > settings.Count)
        {
            problems.Add($"--shards: {n} shards need at least {n} devices (--count is {settings.Count})");
        }

        if (problems.Count > 0)
        {
            foreach (var p in problems)
            {
                await error.WriteLineAsync($"run-sharded: {p}").ConfigureAwait(false);
            }

            return RunExitCodes.Usage;
        }

        long seed = settings.Seed ?? RandomSeed();
        var folder = Path.GetFullPath(reportsFolder ?? Path.Combine(Path.GetTempPath(), $"iotix-run-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}"));
        Directory.CreateDirectory(folder);
        bool loopbackSources = sources == "loopback" || (sources == "auto" && BrokerIsLoopback(settings));
        var launcher = environment.ShardLauncher ?? new ProcessShardLauncher();
        await output.WriteLineAsync($"run-sharded: {n} shard(s) of {settings.Count} x {settings.Model}, seed {seed}, shard reports in {folder}").ConfigureAwait(false);

        var runs = new Task<int>[n];
        var paths = new string[n];
        for (int k = 1; k <= n; k++)
        {
            var shard = new ShardSpec(k, n);
            paths[k - 1] = Path.Combine(folder, $"shard-{k}-of-{n}.json");
            var args = ShardArguments(arguments, shard, seed, paths[k - 1], loopbackSources);
            runs[k - 1] = launcher.RunAsync(shard, args, output, cancellationToken);
        }

        var exits = await Task.WhenAll(runs).ConfigureAwait(false);
        var existing = new List<string>();
        for (int k = 0; k < n; k++)
        {
            if (exits[k] == RunExitCodes.Usage)
            {
                await error.WriteLineAsync($"run-sharded: shard {k + 1}/{n} refused its options or model (exit 2); see its output above").ConfigureAwait(false);
                return RunExitCodes.Usage;
            }

            if (File.Exists(paths[k]))
            {
                existing.Add(paths[k]);
            }
            else
            {
                await error.WriteLineAsync($"run-sharded: shard {k + 1}/{n} exited {exits[k]} without a report").ConfigureAwait(false);
            }
        }

        if (!RunReportMerger.TryRead(existing, out var reports, out var mergeError) || !RunReportMerger.TryMerge(reports, out var merged, out mergeError))
        {
            await error.WriteLineAsync($"run-sharded: {mergeError}").ConfigureAwait(false);
            return cancellationToken.IsCancellationRequested ? RunExitCodes.Interrupted : RunExitCodes.ThresholdsBreached;
        }

        new RunConsole(output, ProgressMode.None, isTerminal: false).WriteSummary(merged);
        if (settings.ReportPath is { } path)
        {
            merged.WriteTo(path);
            await output.WriteLineAsync($"merged report written to {path}").ConfigureAwait(false);
        }

        return cancellationToken.IsCancellationRequested ? RunExitCodes.Interrupted : merged.ExitCode;
    }

    /// <summary>The command line of one shard: the same options, with its shard, the common seed, its own report and plain progress.</summary>
    internal static List<string> ShardArguments(RunArguments arguments, ShardSpec shard, long seed, string reportPath, bool loopbackSources)
    {
        var args = new List<string> { "run" };
        foreach (var (name, value) in arguments.Values)
        {
            if (name is "--report" or "--seed" or "--shard" or "--progress")
            {
                continue;
            }

            args.Add(name);
            args.Add(value);
        }

        args.AddRange(["--shard", shard.ToString(), "--seed", seed.ToString(CultureInfo.InvariantCulture), "--report", reportPath, "--progress", "plain"]);
        args.AddRange(arguments.Unmatched);
        if (loopbackSources)
        {
            // The MQTT adapter binds its connections to these source addresses: ~28,000 ports each.
            args.Add($"--IoTix:Simulation:Mqtt:LocalAddresses:0=127.0.0.{1 + (shard.Index % 254)}");
        }

        return args;
    }

    private static bool BrokerIsLoopback(RunSettings settings)
    {
        var host = settings.Broker?.Host ?? Environment.GetEnvironmentVariable("MQTT_BROKER_HOST");
        return host is not null
            && (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip)));
    }

    private static long RandomSeed()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToInt64(bytes);
    }
}

/// <summary>Runs a shard as a child process of this program, its output prefixed with <c>[K/N]</c>; cancellation sends it SIGINT.</summary>
internal sealed class ProcessShardLauncher : IShardLauncher
{
    private static readonly TimeSpan InterruptGrace = TimeSpan.FromSeconds(15);

    public async Task<int> RunAsync(ShardSpec shard, IReadOnlyList<string> arguments, TextWriter output, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath ?? "dotnet",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
        {
            // Started as `dotnet iotix.dll`: the shard runs the same way.
            start.ArgumentList.Add(typeof(ProcessShardLauncher).Assembly.Location);
        }

        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = new Process { StartInfo = start };
        var prefix = $"[{shard}] ";
        process.OutputDataReceived += (_, e) => Forward(output, prefix, e.Data);
        process.ErrorDataReceived += (_, e) => Forward(output, prefix, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C: the shard stops its devices and writes its report; kill it only if it hangs.
            Interrupt(process.Id);
            using var grace = new CancellationTokenSource(InterruptGrace);
            try
            {
                await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        return process.ExitCode;
    }

    private static void Forward(TextWriter output, string prefix, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.WriteLine(prefix + line);
        }
    }

    private static void Interrupt(int pid)
    {
        try
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-INT", pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false });
            kill?.WaitForExit(2000);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No kill(1): the grace period ends with Kill().
        }
    }
}
