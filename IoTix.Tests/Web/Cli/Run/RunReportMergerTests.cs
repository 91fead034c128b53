using IoTix.Core.Protocols;
using IoTix.Web.Cli.Run;

namespace IoTix.Tests.Web.Cli.Run;

/// <summary>Merging shard reports (<c>iotix report merge</c>): sums, aligned series, verdicts, refusals.</summary>
public sealed class RunReportMergerTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly RunHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private static RunReport Shard(int k, int n, int devices, long sent, long failed, int connected, int failedToConnect = 0, double startOffsetSeconds = 0, string status = RunStatus.Ok, string seed = "5", params ReportSecond[] series) => new()
    {
        Status = status,
        ExitCode = RunStatus.ExitCode(status),
        Seed = seed,
        Model = new ReportModel("sensor", "mqtt", "catalog"),
        GroupId = "sensor",
        Count = 10,
        Shard = new ReportShard(k, n, devices),
        Launch = new ReportLaunch("immediate", 0, 100, 60_000, 1.5, 0),
        Thresholds = new ReportThresholds(0.01, 0),
        Timings = new ReportTimings(T0.AddSeconds(startOffsetSeconds), T0.AddSeconds(startOffsetSeconds + 10), 10_000, 10_000, 100),
        Totals = new ReportTotals
        {
            Devices = devices,
            Launched = devices,
            Connected = connected,
            FailedToConnect = failedToConnect,
            ConnectedAtEnd = connected,
            MessagesSent = sent,
            MessagesFailed = failed,
            MessagesPerSecondAvg = sent / 10.0,
            ErrorRate = RunVerdict.ErrorRate(sent, failed, 0),
        },
        Series = series,
        Errors = failedToConnect > 0 ? [new ReportError("connect failed: refused", failedToConnect)] : [],
    };

    [Fact]
    public void Merge_sums_publish_failures_and_merges_latency_through_the_buckets_after_a_json_round_trip()
    {
        var h1 = new PublishLatencyHistogram();
        var h2 = new PublishLatencyHistogram();
        h1.Record(1_000);
        h2.Record(90_000);
        h2.Record(90_000);
        var a = Shard(1, 2, 5, 100, 0, 5) with { PublishFailures = new PublishFailureCounts(1, 2, 0, 3, 4, 0), PublishLatency = h1.Snapshot() };
        var b = Shard(2, 2, 5, 100, 0, 5) with { PublishFailures = new PublishFailureCounts(0, 0, 1, 0, 1, 5), PublishLatency = h2.Snapshot() };
        var old = Shard(2, 2, 5, 100, 0, 5);

        Assert.True(RunReportMerger.TryMerge([RunReport.FromJson(a.ToJson()), RunReport.FromJson(b.ToJson())], out var merged, out var error), error);
        Assert.True(RunReportMerger.TryMerge([a, old], out var withOld, out _));

        Assert.Equal(new PublishFailureCounts(1, 2, 1, 3, 5, 5), merged.PublishFailures);
        Assert.Equal((3L, 90.0, 90.0), (merged.PublishLatency!.Count, merged.PublishLatency.P50Ms, merged.PublishLatency.MaxMs));
        Assert.Contains("\"unacknowledged\": 4", a.ToJson(), StringComparison.Ordinal);
        Assert.Equal(a.PublishFailures, withOld.PublishFailures);
        Assert.Equal(1, withOld.PublishLatency!.Count);
    }

    [Fact]
    public void Merge_sums_totals_and_aligns_series_on_wall_clock_seconds()
    {
        var a = Shard(1, 2, 5, 100, 0, 5, series: [new(1, 10, 0, 100, 5), new(2, 20, 0, 200, 5)]);
        var b = Shard(2, 2, 5, 60, 0, 4, failedToConnect: 1, startOffsetSeconds: 1, series: [new(1, 30, 0, 300, 4), new(2, 30, 0, 300, 4)]);

        Assert.True(RunReportMerger.TryMerge([a, b], out var merged, out var error), error);

        Assert.Equal(10, merged.Totals.Devices);
        Assert.Equal(9, merged.Totals.Connected);
        Assert.Equal(1, merged.Totals.FailedToConnect);
        Assert.Equal(160, merged.Totals.MessagesSent);
        Assert.Equal(16.0, merged.Totals.MessagesPerSecondAvg);
        Assert.Equal([(1, 10L, 5), (2, 50L, 9), (3, 30L, 4)], merged.Series.Select(s => (s.T, s.Messages, s.Connected)));
        Assert.Equal(50, merged.Totals.MessagesPerSecondPeak);
        Assert.Equal(new ReportError("connect failed: refused", 1), Assert.Single(merged.Errors));
        Assert.Null(merged.Shard);
        Assert.Equal([1, 2], merged.MergedShards!.Select(s => s.Index));
        Assert.Equal(T0, merged.Timings.StartedAt);
        Assert.Equal(T0.AddSeconds(11), merged.Timings.EndedAt);
    }

    [Fact]
    public void Merge_judges_the_merged_totals_again()
    {
        // Each shard alone is under 1 % failed messages... and together too, but one failed connect fails the run.
        var a = Shard(1, 2, 5, 1000, 5, 5);
        var b = Shard(2, 2, 5, 1000, 5, 4, failedToConnect: 1, status: RunStatus.Failed);

        Assert.True(RunReportMerger.TryMerge([a, b], out var merged, out _));

        Assert.Equal(RunStatus.Failed, merged.Status);
        Assert.Equal(RunExitCodes.ThresholdsBreached, merged.ExitCode);
        Assert.Equal(10.0 / 2010, merged.Totals.ErrorRate, 9);
        Assert.Contains(merged.FailureReasons, r => r.StartsWith("1 device(s) failed to connect", StringComparison.Ordinal));
    }

    [Fact]
    public void Messages_the_adapter_lost_count_toward_the_error_rate_and_fail_the_run()
    {
        // No message was refused at the door, but 30 of 2,000 accepted ones were never acknowledged or sent.
        var a = Shard(1, 2, 5, 1000, 0, 5) with { PublishFailures = new PublishFailureCounts(0, 0, 0, 10, 20, 0) };
        var b = Shard(2, 2, 5, 1000, 0, 5);

        Assert.True(RunReportMerger.TryMerge([a, b], out var merged, out _));

        Assert.Equal(30, merged.Totals.MessagesDropped);
        Assert.Equal(30.0 / 2000, merged.Totals.ErrorRate, 9);
        Assert.Equal(RunStatus.Failed, merged.Status);
        Assert.Contains(merged.FailureReasons, r => r.Contains("30 of 2000 failed: 0 refused by the engine, 30 lost by the adapter", StringComparison.Ordinal));
    }

    [Fact]
    public void An_interrupted_shard_makes_the_merged_run_interrupted()
    {
        Assert.True(RunReportMerger.TryMerge([Shard(1, 2, 5, 10, 0, 5), Shard(2, 2, 5, 10, 0, 5, status: RunStatus.Interrupted)], out var merged, out _));

        Assert.Equal(RunStatus.Interrupted, merged.Status);
        Assert.Equal(RunExitCodes.Interrupted, merged.ExitCode);
    }

    [Fact]
    public void A_missing_shard_fails_the_merged_run()
    {
        Assert.True(RunReportMerger.TryMerge([Shard(1, 3, 4, 10, 0, 4), Shard(3, 3, 3, 10, 0, 3)], out var merged, out _));

        Assert.Equal(RunStatus.Failed, merged.Status);
        Assert.Contains("shard report(s) missing: 2/3", merged.FailureReasons);
    }

    [Fact]
    public void The_same_shard_twice_is_refused()
    {
        Assert.False(RunReportMerger.TryMerge([Shard(1, 2, 5, 10, 0, 5), Shard(1, 2, 5, 10, 0, 5)], out _, out var error));

        Assert.Equal("shard 1/2 appears twice", error);
    }

    [Fact]
    public void Reports_of_different_runs_are_refused()
    {
        Assert.False(RunReportMerger.TryMerge([Shard(1, 2, 5, 10, 0, 5), Shard(2, 2, 5, 10, 0, 5, seed: "6")], out _, out var error));

        Assert.StartsWith("reports of different runs cannot be merged", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_json_round_trips_with_the_documented_field_names()
    {
        var report = Shard(1, 2, 5, 100, 1, 5, series: [new(1, 10, 1, 100, 5)]);

        var json = report.ToJson();
        var back = RunReport.FromJson(json);

        foreach (var field in new[] { "\"schemaVersion\": 1", "\"status\": \"ok\"", "\"exitCode\": 0", "\"seed\": \"5\"", "\"shard\": {", "\"totals\": {", "\"messagesSent\": 100", "\"failedToConnect\": 0", "\"series\": [", "\"t\": 1", "\"errors\": [", "\"thresholds\": {", "\"maxErrorRate\": 0.01", "\"timings\": {", "\"startedAt\": \"2025-01-01T12:00:00+00:00\"" })
        {
            Assert.Contains(field, json, StringComparison.Ordinal);
        }

        Assert.Equal(report.Totals, back.Totals);
        Assert.Equal(report.Series, back.Series);
    }

    [Fact]
    public async Task Report_merge_command_writes_the_merged_report_and_exits_as_the_merged_run()
    {
        Shard(1, 2, 5, 100, 0, 5).WriteTo(_harness.PathOf("a.json"));
        Shard(2, 2, 5, 100, 0, 4, failedToConnect: 1).WriteTo(_harness.PathOf("b.json"));

        var (exit, output, _) = await _harness.InvokeAsync(["report", "merge", _harness.PathOf("a.json"), _harness.PathOf("b.json"), "--out", _harness.PathOf("all.json")]);

        Assert.Equal(RunExitCodes.ThresholdsBreached, exit);
        Assert.Equal(200, _harness.ReadReport("all.json").Totals.MessagesSent);
        Assert.Contains("messages sent", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_merge_names_an_unreadable_file_and_exits_2()
    {
        var bad = _harness.Write("bad.json", "{ not json");

        var (exit, _, error) = await _harness.InvokeAsync(["report", "merge", bad]);

        Assert.Equal(RunExitCodes.Usage, exit);
        Assert.Contains($"{bad}: not a readable iotix run report", error, StringComparison.Ordinal);
    }
}
