using System.Globalization;
using Spectre.Console;

namespace IoTix.Web.Cli.Run;

/// <summary>What the progress line shows, sampled twice a second.</summary>
internal readonly record struct RunProgressSnapshot(
    TimeSpan Elapsed,
    TimeSpan Duration,
    int Devices,
    int Launched,
    int Running,
    int FailedToConnect,
    long MessagesPerSecond,
    long MessagesSent,
    long MessagesFailed,
    int Errors);

/// <summary>
/// The run's console output: a Spectre.Console live line on a terminal (refreshed about twice a
/// second), a plain line every 5 seconds otherwise (CI logs), or nothing; and the summary table.
/// </summary>
internal sealed class RunConsole : IAsyncDisposable
{
    private static readonly TimeSpan PlainEvery = TimeSpan.FromSeconds(5);

    private readonly TextWriter _output;
    private readonly IAnsiConsole _console;
    private readonly ProgressMode _mode;
    private readonly TaskCompletionSource _liveDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<LiveDisplayContext> _liveReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _live = Task.CompletedTask;
    private TimeSpan _nextPlain;

    public RunConsole(TextWriter output, ProgressMode mode, bool isTerminal)
    {
        _output = output;
        _mode = mode == ProgressMode.Auto ? (isTerminal ? ProgressMode.Live : ProgressMode.Plain) : mode;
        bool ansi = isTerminal && _mode == ProgressMode.Live;
        _console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = ansi ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = ansi ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = ansi ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        if (!isTerminal)
        {
            _console.Profile.Width = 120;
        }
    }

    public ProgressMode Mode => _mode;

    /// <summary>Starts the live display (live mode only).</summary>
    public void Begin(string title)
    {
        if (_mode == ProgressMode.Plain)
        {
            _output.WriteLine(title);
        }

        if (_mode != ProgressMode.Live)
        {
            return;
        }

        _console.MarkupLine(Markup.Escape(title));
        _live = _console.Live(new Text("starting ..."))
            .AutoClear(false)
            .StartAsync(async ctx =>
            {
                _liveReady.TrySetResult(ctx);
                await _liveDone.Task.ConfigureAwait(false);
            });
    }

    public void Update(RunProgressSnapshot s)
    {
        switch (_mode)
        {
            case ProgressMode.Live when _liveReady.Task.IsCompletedSuccessfully:
                var ctx = _liveReady.Task.Result;
                ctx.UpdateTarget(LiveLine(s)); // refreshes
                break;
            case ProgressMode.Plain when s.Elapsed >= _nextPlain:
                _nextPlain = s.Elapsed + PlainEvery;
                _output.WriteLine(PlainLine(s));
                break;
        }
    }

    /// <summary>Ends the live display, then prints a message line (plain and live modes).</summary>
    public async Task EndAsync(string? message)
    {
        _liveDone.TrySetResult();
        await _live.ConfigureAwait(false);
        if (message is not null && _mode != ProgressMode.None)
        {
            _output.WriteLine(message);
        }
    }

    public static string PlainLine(RunProgressSnapshot s) => string.Create(
        CultureInfo.InvariantCulture,
        $"[{Seconds(s.Elapsed)}/{Seconds(s.Duration)}] devices {s.Launched}/{s.Devices} started, {s.Running} connected, {s.FailedToConnect} failed to connect | {s.MessagesPerSecond:N0} msg/s, {s.MessagesSent:N0} sent, {s.MessagesFailed:N0} failed | errors {s.Errors}");

    private static Markup LiveLine(RunProgressSnapshot s)
    {
        var failedColor = s.FailedToConnect > 0 || s.MessagesFailed > 0 ? "red" : "green";
        return new Markup(string.Create(
            CultureInfo.InvariantCulture,
            $"[grey]{Seconds(s.Elapsed)}/{Seconds(s.Duration)}[/]  devices [bold]{s.Launched}[/]/{s.Devices} started, [bold green]{s.Running}[/] connected, [{failedColor}]{s.FailedToConnect} failed[/]  [bold]{s.MessagesPerSecond:N0}[/] msg/s  {s.MessagesSent:N0} sent  [{failedColor}]{s.MessagesFailed:N0} failed[/]  errors [{(s.Errors > 0 ? "red" : "green")}]{s.Errors}[/]"));
    }

    private static string Seconds(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.0}s");

    /// <summary>Prints the summary table of a report (a run's or a merged one) and its most frequent errors.</summary>
    public void WriteSummary(RunReport report)
    {
        var t = report.Totals;
        var table = new Table
        {
            Border = _console.Profile.Capabilities.Ansi ? TableBorder.Rounded : TableBorder.Ascii,
            Title = new TableTitle($"iotix run: {Markup.Escape(report.Model.Id)}"),
        };
        table.AddColumn("");
        table.AddColumn(new TableColumn("").RightAligned());
        table.HideHeaders();
        void Row(string name, string value) => table.AddRow(new Text(name), new Text(value));
        var ic = CultureInfo.InvariantCulture;
        Row("status", report.Status);
        Row("model", $"{report.Model.Id} ({report.Model.Protocol}, {report.Model.Source})");
        Row("group", report.GroupId);
        if (report.Shard is { } shard)
        {
            Row("shard", $"{shard.Index}/{shard.Count} ({shard.Devices} of {report.Count} devices)");
        }
        else if (report.MergedShards is { Count: > 0 } shards)
        {
            Row("shards", $"{shards.Count} merged");
        }

        Row("devices", t.Devices.ToString("N0", ic));
        Row("launched", t.Launched.ToString("N0", ic));
        Row("connected", t.Connected.ToString("N0", ic));
        Row("failed to connect", t.FailedToConnect.ToString("N0", ic));
        Row("not launched", t.NotLaunched.ToString("N0", ic));
        Row("connected at end", t.ConnectedAtEnd.ToString("N0", ic));
        Row("drops / reconnects", string.Create(ic, $"{t.Drops:N0} / {t.Reconnects:N0}"));
        Row("messages sent", t.MessagesSent.ToString("N0", ic));
        Row("messages failed", t.MessagesFailed.ToString("N0", ic));
        Row("error rate", string.Create(ic, $"{t.ErrorRate:P2} (max {report.Thresholds.MaxErrorRate:P2})"));
        Row("rate avg / peak", string.Create(ic, $"{t.MessagesPerSecondAvg:N1} / {t.MessagesPerSecondPeak:N0} msg/s"));
        if (report.PublishFailures is { } f)
        {
            Row("publish failures", string.Create(ic, $"not connected {f.NotConnected:N0}, queue full {f.QueueFull:N0}, rejected {f.Rejected:N0}, unsent {f.Unsent:N0}, unacknowledged {f.Unacknowledged:N0}, refused {f.RefusedByPeer:N0}"));
        }

        if (report.PublishLatency is { Count: > 0 } l)
        {
            Row("publish latency", string.Create(ic, $"p50 {l.P50Ms:0.###} / p95 {l.P95Ms:0.###} / p99 {l.P99Ms:0.###} / max {l.MaxMs:0.###} ms ({l.Count:N0} acknowledged)"));
        }

        Row("bytes sent", t.BytesSent.ToString("N0", ic));
        Row("duration", string.Create(ic, $"{report.Timings.RunMs / 1000.0:0.0}s run of {report.Timings.DurationRequestedMs / 1000.0:0.0}s, {report.Timings.StopMs / 1000.0:0.0}s stop"));
        Row("seed", report.Seed);
        _console.Write(table);

        if (report.Errors.Count > 0)
        {
            var errors = new Table { Border = table.Border, Title = new TableTitle("errors by reason") };
            errors.AddColumn("reason");
            errors.AddColumn(new TableColumn("count").RightAligned());
            for (int i = 0; i < report.Errors.Count && i < 10; i++)
            {
                errors.AddRow(new Text(report.Errors[i].Reason), new Text(report.Errors[i].Count.ToString("N0", ic)));
            }

            _console.Write(errors);
        }

        foreach (var reason in report.FailureReasons)
        {
            _output.WriteLine($"FAILED: {reason}");
        }
    }

    public async ValueTask DisposeAsync() => await EndAsync(null).ConfigureAwait(false);
}
