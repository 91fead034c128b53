using System.Text.Json;
using IoTix.Core.Protocols;

namespace IoTix.Web.Cli.Run;

/// <summary>
/// Merges the reports of the shards of one run into one: counters summed, per-second series
/// aligned on their wall-clock start and summed, errors summed by reason, the status judged
/// again on the merged totals (interrupted when any shard was).
/// </summary>
internal static class RunReportMerger
{
    /// <summary>Reads report files; an unreadable or malformed one is an error naming the file.</summary>
    public static bool TryRead(IReadOnlyList<string> paths, out List<RunReport> reports, out string? error)
    {
        reports = new List<RunReport>(paths.Count);
        foreach (var path in paths)
        {
            try
            {
                reports.Add(RunReport.FromJson(File.ReadAllText(path)));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
            {
                error = $"{path}: not a readable iotix run report: {ex.Message}";
                return false;
            }
        }

        error = null;
        return true;
    }

    public static bool TryMerge(IReadOnlyList<RunReport> reports, out RunReport merged, out string? error)
    {
        merged = null!;
        if (reports.Count == 0)
        {
            error = "no reports to merge";
            return false;
        }

        var first = reports[0];
        var shards = new List<ReportShard>();
        var seen = new HashSet<int>();
        foreach (var r in reports)
        {
            if (r.Model.Id != first.Model.Id || r.GroupId != first.GroupId || r.Count != first.Count || r.Seed != first.Seed)
            {
                error = $"reports of different runs cannot be merged: model/group/count/seed {r.Model.Id}/{r.GroupId}/{r.Count}/{r.Seed} vs {first.Model.Id}/{first.GroupId}/{first.Count}/{first.Seed}";
                return false;
            }

            foreach (var s in r.Shard is { } one ? [one] : r.MergedShards ?? [])
            {
                if (s.Count != (first.Shard ?? first.MergedShards?[0])?.Count)
                {
                    error = $"shard {s.Index}/{s.Count} does not belong to a run of {(first.Shard ?? first.MergedShards?[0])?.Count} shards";
                    return false;
                }

                if (!seen.Add(s.Index))
                {
                    error = $"shard {s.Index}/{s.Count} appears twice";
                    return false;
                }

                shards.Add(s);
            }
        }

        shards.Sort(static (a, b) => a.Index.CompareTo(b.Index));
        var start = first.Timings.StartedAt;
        var end = first.Timings.EndedAt;
        foreach (var r in reports)
        {
            start = r.Timings.StartedAt < start ? r.Timings.StartedAt : start;
            end = r.Timings.EndedAt > end ? r.Timings.EndedAt : end;
        }

        var series = new SortedDictionary<int, (long Messages, long Failed, long Bytes, int Connected)>();
        var errors = new Dictionary<string, long>(StringComparer.Ordinal);
        int devices = 0, launched = 0, connected = 0, failedToConnect = 0, notLaunched = 0, connectedAtEnd = 0, drops = 0, reconnects = 0, planned = 0;
        long sent = 0, failed = 0, bytes = 0, commands = 0, runMs = 0, stopMs = 0, requestedMs = 0;
        double avg = 0, maxErrorRate = double.MaxValue;
        int maxConnectFailures = int.MaxValue;
        bool interrupted = false;
        PublishFailureCounts? failures = null;
        foreach (var r in reports)
        {
            if (r.PublishFailures is { } f)
            {
                failures = (failures ?? default) + f;
            }

            var t = r.Totals;
            devices += t.Devices;
            launched += t.Launched;
            connected += t.Connected;
            failedToConnect += t.FailedToConnect;
            notLaunched += t.NotLaunched;
            connectedAtEnd += t.ConnectedAtEnd;
            drops += t.Drops;
            reconnects += t.Reconnects;
            sent += t.MessagesSent;
            failed += t.MessagesFailed;
            bytes += t.BytesSent;
            commands += t.CommandsReceived;
            avg += t.MessagesPerSecondAvg;
            runMs = Math.Max(runMs, r.Timings.RunMs);
            stopMs = Math.Max(stopMs, r.Timings.StopMs);
            requestedMs = Math.Max(requestedMs, r.Timings.DurationRequestedMs);
            maxErrorRate = Math.Min(maxErrorRate, r.Thresholds.MaxErrorRate);
            maxConnectFailures = Math.Min(maxConnectFailures, r.Thresholds.MaxConnectFailures);
            interrupted |= r.Status == RunStatus.Interrupted;
            planned += r.Dropout?.Planned ?? 0;

            int offset = (int)Math.Round((r.Timings.StartedAt - start).TotalSeconds);
            foreach (var s in r.Series)
            {
                var at = s.T + offset;
                var current = series.GetValueOrDefault(at);
                series[at] = (current.Messages + s.Messages, current.Failed + s.Failed, current.Bytes + s.Bytes, current.Connected + s.Connected);
            }

            foreach (var e in r.Errors)
            {
                errors[e.Reason] = errors.GetValueOrDefault(e.Reason) + e.Count;
            }
        }

        var mergedSeries = new List<ReportSecond>(series.Count);
        long peak = 0;
        foreach (var (t, s) in series)
        {
            mergedSeries.Add(new ReportSecond(t, s.Messages, s.Failed, s.Bytes, s.Connected));
            peak = Math.Max(peak, s.Messages);
        }

        var errorList = new List<ReportError>(errors.Count);
        foreach (var (reason, count) in errors)
        {
            errorList.Add(new ReportError(reason, count));
        }

        var totals = new ReportTotals
        {
            Devices = devices,
            Launched = launched,
            Connected = connected,
            FailedToConnect = failedToConnect,
            NotLaunched = notLaunched,
            ConnectedAtEnd = connectedAtEnd,
            Drops = drops,
            Reconnects = reconnects,
            MessagesSent = sent,
            MessagesFailed = failed,
            MessagesDropped = failures?.Lost ?? 0,
            BytesSent = bytes,
            CommandsReceived = commands,
            ErrorRate = RunVerdict.ErrorRate(sent, failed, failures?.Lost ?? 0),
            MessagesPerSecondAvg = Math.Round(avg, 3),
            MessagesPerSecondPeak = peak,
        };
        var thresholds = new ReportThresholds(maxErrorRate, maxConnectFailures);
        var (status, reasons) = RunVerdict.Judge(totals, thresholds, interrupted);
        var missing = new List<string>();
        if (shards.Count > 0)
        {
            for (int k = 1; k <= shards[0].Count; k++)
            {
                if (!seen.Contains(k))
                {
                    missing.Add($"{k}/{shards[0].Count}");
                }
            }
        }

        if (missing.Count > 0)
        {
            reasons = [.. reasons, $"shard report(s) missing: {string.Join(", ", missing)}"];
            status = interrupted ? RunStatus.Interrupted : RunStatus.Failed;
        }

        merged = first with
        {
            Status = status,
            ExitCode = RunStatus.ExitCode(status),
            FailureReasons = reasons,
            Shard = null,
            MergedShards = shards,
            Dropout = first.Dropout is null ? null : first.Dropout with { Planned = planned },
            Thresholds = thresholds,
            Timings = new ReportTimings(start, end, requestedMs, runMs, stopMs),
            Totals = totals,
            Series = mergedSeries,
            Errors = RunRecorder.Sort(errorList),
            PublishFailures = failures,
            PublishLatency = reports.Any(r => r.PublishLatency is not null) ? PublishLatencySnapshot.Merge(reports.Select(r => r.PublishLatency)) : null,
        };
        error = null;
        return true;
    }
}
