using System.CommandLine;

namespace IoTix.Web.Cli.Run;

/// <summary><c>iotix report merge a.json b.json ... [--out all.json]</c>: one summary from the reports of a run's shards.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("reports") { Description = "Report files written by iotix run --report", Arity = ArgumentArity.ZeroOrMore };
        var outFile = new Option<string?>("--out") { Description = "Write the merged report here", HelpName = "file" };
        var merge = new Command("merge", "Merge the JSON reports of a run's shards into one summary and report; exits as the merged run would (0, 1, 130; 2 when the reports cannot be merged)")
        {
            files,
            outFile,
        };
        merge.SetAction(parseResult => Merge(
            parseResult.GetValue(files) ?? [],
            parseResult.GetValue(outFile),
            parseResult.InvocationConfiguration.Output,
            parseResult.InvocationConfiguration.Error));
        return new Command("report", "Work with run reports") { merge };
    }

    public static int Merge(IReadOnlyList<string> paths, string? outPath, TextWriter output, TextWriter error)
    {
        if (paths.Count == 0)
        {
            error.WriteLine("report merge: give the report files, e.g. iotix report merge shard-1.json shard-2.json --out all.json");
            return RunExitCodes.Usage;
        }

        if (!RunReportMerger.TryRead(paths, out var reports, out var readError)
            || !RunReportMerger.TryMerge(reports, out var merged, out readError))
        {
            error.WriteLine($"report merge: {readError}");
            return RunExitCodes.Usage;
        }

        new RunConsole(output, ProgressMode.None, isTerminal: false).WriteSummary(merged);
        if (outPath is not null)
        {
            merged.WriteTo(outPath);
            output.WriteLine($"merged report written to {outPath}");
        }

        return merged.ExitCode;
    }
}
