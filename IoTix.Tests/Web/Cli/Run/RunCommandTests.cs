using IoTix.Web.Cli.Run;

namespace IoTix.Tests.Web.Cli.Run;

/// <summary>
/// <c>iotix run</c> end to end in process: the real host, catalog, engine and scheduler with a test
/// protocol adapter, on a fake clock (a minute of simulated time runs in well under a second).
/// </summary>
public sealed class RunCommandTests : IDisposable
{
    private readonly RunHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task Run_writes_a_report_whose_totals_match_the_adapter_and_the_series_and_exits_0()
    {
        var (exit, output, error) = await _harness.InvokeAsync(["run", "--model", "sensor", "--count", "5", "--duration", "10s", "--seed", "7", "--report", _harness.PathOf("r.json")]);

        Assert.True(exit == RunExitCodes.Ok, $"exit {exit}: {error}{output}");
        var report = _harness.ReadReport("r.json");
        Assert.Equal(RunStatus.Ok, report.Status);
        Assert.Equal(0, report.ExitCode);
        Assert.Equal("7", report.Seed);
        Assert.Equal("sensor", report.Model.Id);
        Assert.Equal("sensor", report.GroupId);
        Assert.Null(report.Shard);
        var t = report.Totals;
        Assert.Equal(5, t.Devices);
        Assert.Equal(5, t.Launched);
        Assert.Equal(5, t.Connected);
        Assert.Equal(5, t.ConnectedAtEnd);
        Assert.Equal(0, t.FailedToConnect);
        Assert.Equal(_harness.Adapter.Published, t.MessagesSent);
        Assert.InRange(t.MessagesSent, 50, 55); // 5 devices: one message at connect, then one a second for 10 s
        Assert.Equal(t.MessagesSent, report.Series.Sum(s => s.Messages));
        Assert.Equal(t.BytesSent, report.Series.Sum(s => s.Bytes));
        Assert.True(report.Series.Count >= 10, $"{report.Series.Count} seconds in the series");
        Assert.Equal(5, report.Series[3].Connected);
        Assert.Equal(t.MessagesPerSecondPeak, report.Series.Max(s => s.Messages));
        Assert.Equal(10_000, report.Timings.DurationRequestedMs);
        Assert.InRange(report.Timings.RunMs, 10_000, 10_500);
        Assert.Empty(report.Errors);
        Assert.Contains("messages sent", output, StringComparison.Ordinal);
        Assert.Contains("report written to", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Same_seed_gives_the_same_device_ids_and_message_count()
    {
        var first = await _harness.InvokeAsync(["run", "--model", "sensor", "--count", "3", "--duration", "5s", "--seed", "11", "--report", _harness.PathOf("a.json")]);
        using var other = new RunHarness();
        var second = await other.InvokeAsync(["run", "--model", "sensor", "--count", "3", "--duration", "5s", "--seed", "11", "--report", other.PathOf("b.json")]);

        Assert.Equal(0, first.Exit);
        Assert.Equal(0, second.Exit);
        Assert.Equal(_harness.Adapter.Connects.Keys.Order(), other.Adapter.Connects.Keys.Order());
        Assert.Equal(["sensor-0", "sensor-1", "sensor-2"], _harness.Adapter.Connects.Keys.Order());
        Assert.Equal(_harness.ReadReport("a.json").Totals.MessagesSent, other.ReadReport("b.json").Totals.MessagesSent);
    }

    [Fact]
    public async Task Connect_failures_beyond_the_threshold_exit_1_with_reasons()
    {
        _harness.Adapter.FailConnectFor.UnionWith(["sensor-1", "sensor-3"]);

        var (exit, output, _) = await _harness.InvokeAsync(["run", "--model", "sensor", "--count", "5", "--duration", "3s", "--report", _harness.PathOf("r.json")]);

        Assert.Equal(RunExitCodes.ThresholdsBreached, exit);
        var report = _harness.ReadReport("r.json");
        Assert.Equal(RunStatus.Failed, report.Status);
        Assert.Equal(2, report.Totals.FailedToConnect);
        Assert.Equal(3, report.Totals.Connected);
        var error = Assert.Single(report.Errors);
        Assert.Equal("connect failed: refused by test", error.Reason);
        Assert.Equal(2, error.Count);
        Assert.Contains("FAILED: 2 device(s) failed to connect (--max-connect-failures 0)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_failures_within_the_threshold_exit_0()
    {
        _harness.Adapter.FailConnectFor.UnionWith(["sensor-1", "sensor-3"]);

        var (exit, _, _) = await _harness.InvokeAsync(["run", "--model", "sensor", "--count", "5", "--duration", "3s", "--max-connect-failures", "2"]);

        Assert.Equal(RunExitCodes.Ok, exit);
    }

    [Fact]
    public async Task Message_error_rate_beyond_the_threshold_exits_1_and_counts_publish_failures()
    {
        _harness.Adapter.RejectEvery = 4;

        var (exit, output, _) = await _harness.InvokeAsync(["run", "--model", "sensor", "--count", "4", "--duration", "10s", "--max-error-rate", "0.1", "--report", _harness.PathOf("r.json")]);

        Assert.Equal(RunExitCodes.ThresholdsBreached, exit);
        var report = _harness.ReadReport("r.json");
        Assert.Equal(_harness.Adapter.Rejected, report.Totals.MessagesFailed);
        Assert.Equal(report.Totals.MessagesFailed, report.Series.Sum(s => s.Failed));
        Assert.InRange(report.Totals.ErrorRate, 0.2, 0.3);
        Assert.Contains(report.Errors, e => e.Reason == RunRecorder.PublishFailedReason && e.Count == report.Totals.MessagesFailed);
        Assert.Contains("is above --max-error-rate 0.1", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connects_still_pending_at_the_end_count_as_failed_to_connect()
    {
        _harness.Adapter.HangConnectFor.Add("sensor-0");

        var (exit, _, _) = await _harness.InvokeAsync(["run", "--model", "sensor", "--count", "2", "--duration", "2s", "--stop-timeout", "200ms", "--report", _harness.PathOf("r.json")]);

        Assert.Equal(RunExitCodes.ThresholdsBreached, exit);
        var report = _harness.ReadReport("r.json");
        Assert.Equal(1, report.Totals.FailedToConnect);
        Assert.Equal(1, report.Totals.Connected);
        Assert.Contains(report.Errors, e => e.Reason == "connect not completed when the run ended" && e.Count == 1);
    }

    [Fact]
    public async Task Cancellation_stops_the_devices_writes_an_interrupted_report_and_exits_130()
    {
        using var cts = new CancellationTokenSource();
        var environment = _harness.Environment(onProgress: p =>
        {
            if (p.Running == 3)
            {
                cts.Cancel();
            }
        });

        var (exit, output, _) = await _harness.InvokeAsync(["run", "--model", "sensor", "--count", "3", "--duration", "1h", "--report", _harness.PathOf("r.json")], environment, cts.Token);

        Assert.Equal(RunExitCodes.Interrupted, exit);
        var report = _harness.ReadReport("r.json");
        Assert.Equal(RunStatus.Interrupted, report.Status);
        Assert.Equal(130, report.ExitCode);
        Assert.Equal(3, report.Totals.Connected);
        Assert.Equal(3, report.Totals.ConnectedAtEnd);
        Assert.True(report.Timings.RunMs < 60_000, $"ran {report.Timings.RunMs} ms of an hour");
        Assert.Equal(report.Totals.MessagesSent, report.Series.Sum(s => s.Messages));
        Assert.Contains("interrupted", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_launch_longer_than_the_run_leaves_the_rest_not_launched()
    {
        var (exit, _, _) = await _harness.InvokeAsync(["run", "--model", "sensor", "--count", "10", "--duration", "3500ms", "--launch", "linear:1000", "--report", _harness.PathOf("r.json")]);

        Assert.Equal(RunExitCodes.Ok, exit);
        var report = _harness.ReadReport("r.json");
        Assert.Equal(4, report.Totals.Launched); // at 0, 1, 2 and 3 s
        Assert.Equal(6, report.Totals.NotLaunched);
        Assert.Equal(9_000, report.Launch.PlannedMs);
        Assert.Equal("linear", report.Launch.Strategy);
    }

    [Fact]
    public async Task Dropout_with_reconnect_drops_and_brings_back_the_chosen_share()
    {
        var (exit, _, error) = await _harness.InvokeAsync(["run", "--model", "sensor", "--count", "10", "--duration", "6s", "--dropout", "immediate:50%", "--dropout-at", "2s", "--reconnect-after", "1s", "--report", _harness.PathOf("r.json")]);

        Assert.True(exit == RunExitCodes.Ok, error);
        var report = _harness.ReadReport("r.json");
        Assert.NotNull(report.Dropout);
        Assert.Equal(5, report.Dropout.Planned);
        Assert.Equal(2_000, report.Dropout.AtMs);
        Assert.Equal(5, report.Totals.Drops);
        Assert.Equal(5, report.Totals.Reconnects);
        Assert.Equal(10, report.Totals.ConnectedAtEnd);
    }

    [Fact]
    public async Task Plain_progress_prints_a_line_every_five_seconds()
    {
        var (exit, output, _) = await _harness.InvokeAsync(["run", "--model", "sensor", "--count", "3", "--duration", "12s"]);

        Assert.Equal(0, exit);
        var lines = output.Split('\n').Where(l => l.StartsWith('[') && l.Contains("msg/s", StringComparison.Ordinal)).ToList();
        Assert.InRange(lines.Count, 2, 3);
        Assert.Contains(lines, l => l.Contains("devices 3/3 started, 3 connected, 0 failed to connect", StringComparison.Ordinal));
    }
}
