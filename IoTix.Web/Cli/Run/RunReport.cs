using System.Text.Json;
using System.Text.Json.Serialization;
using IoTix.Core.Protocols;

namespace IoTix.Web.Cli.Run;

/// <summary>Exit codes of <c>iotix run</c>, <c>run-sharded</c> and <c>report merge</c>.</summary>
internal static class RunExitCodes
{
    /// <summary>The run finished within its thresholds.</summary>
    public const int Ok = 0;

    /// <summary>Devices failed to connect or messages failed beyond the thresholds.</summary>
    public const int ThresholdsBreached = 1;

    /// <summary>Bad options, a model that does not load or validate, a setting the host refuses.</summary>
    public const int Usage = 2;

    /// <summary>Interrupted (Ctrl-C / SIGINT / SIGTERM); the report is still written.</summary>
    public const int Interrupted = 130;
}

/// <summary>Status words of a report (<c>status</c>).</summary>
internal static class RunStatus
{
    public const string Ok = "ok";
    public const string Failed = "failed";
    public const string Interrupted = "interrupted";

    public static int ExitCode(string status) => status switch
    {
        Ok => RunExitCodes.Ok,
        Interrupted => RunExitCodes.Interrupted,
        _ => RunExitCodes.ThresholdsBreached,
    };
}

/// <summary>
/// The JSON report of a run (<c>--report</c>), also what <c>report merge</c> reads and writes.
/// Field names are stable (schema version 1, documented in docs/cli.md); new fields may be added.
/// </summary>
internal sealed record RunReport
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary><c>ok</c>, <c>failed</c> or <c>interrupted</c>.</summary>
    public required string Status { get; init; }

    public required int ExitCode { get; init; }

    /// <summary>Why the status is <c>failed</c> (thresholds breached), in words.</summary>
    public IReadOnlyList<string> FailureReasons { get; init; } = [];

    /// <summary>The run seed as a decimal 64-bit integer (a string so JSON tools keep every digit); pass it to <c>--seed</c> to replay.</summary>
    public required string Seed { get; init; }

    public required ReportModel Model { get; init; }

    public required string GroupId { get; init; }

    /// <summary>Devices in the whole group (all shards).</summary>
    public required int Count { get; init; }

    /// <summary>This report's shard, or null for an unsharded run or a merged report.</summary>
    public ReportShard? Shard { get; init; }

    /// <summary>For a merged report: the shards it combines (1-based indexes), else null.</summary>
    public IReadOnlyList<ReportShard>? MergedShards { get; init; }

    /// <summary>The broker or URL override given on the command line, or null.</summary>
    public string? Endpoint { get; init; }

    public required ReportLaunch Launch { get; init; }

    public ReportDropout? Dropout { get; init; }

    public required ReportThresholds Thresholds { get; init; }

    public required ReportTimings Timings { get; init; }

    public required ReportTotals Totals { get; init; }

    /// <summary>One entry per second of the run, from its start (the last covers the stop phase).</summary>
    public IReadOnlyList<ReportSecond> Series { get; init; } = [];

    /// <summary>Connect failures, lost connections, failed devices and failed publishes, grouped by reason, most frequent first.</summary>
    public IReadOnlyList<ReportError> Errors { get; init; } = [];

    /// <summary>The adapter's failed publishes by reason (null in reports written before the field existed).</summary>
    public PublishFailureCounts? PublishFailures { get; init; }

    /// <summary>Latency of acknowledged publishes (MQTT QoS 1/2: written -> PUBACK/PUBCOMP), with the histogram's buckets so shards merge exactly; null in older reports.</summary>
    public PublishLatencySnapshot? PublishLatency { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RunReport FromJson(string json) =>
        JsonSerializer.Deserialize<RunReport>(json, Json) ?? throw new JsonException("the report is null");

    /// <summary>Writes the report atomically (temporary file, then rename), creating the folder.</summary>
    public void WriteTo(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        File.WriteAllText(temp, ToJson());
        File.Move(temp, full, overwrite: true);
    }
}

internal sealed record ReportModel(string Id, string Protocol, string Source);

/// <summary>A shard: 1-based <c>index</c> of <c>count</c>, and how many devices it ran.</summary>
internal sealed record ReportShard(int Index, int Count, int Devices);

internal sealed record ReportLaunch(string Strategy, int DelayMs, int BatchSize, int MaxDelayMs, double ExponentBase, long PlannedMs);

internal sealed record ReportDropout(string Strategy, int? Count, double? Percentage, int DelayMs, int DurationMs, bool Reconnect, int ReconnectDelayMs, long AtMs, int Planned);

internal sealed record ReportThresholds(double MaxErrorRate, int MaxConnectFailures);

/// <summary>When the run started and ended (UTC), what was asked, and how long each phase took.</summary>
internal sealed record ReportTimings(DateTimeOffset StartedAt, DateTimeOffset EndedAt, long DurationRequestedMs, long RunMs, long StopMs);

/// <summary>The run's counters.</summary>
internal sealed record ReportTotals
{
    /// <summary>Devices this report covers (a shard's own devices, or all for a merged report).</summary>
    public int Devices { get; init; }

    /// <summary>Devices whose launch began (created -> starting).</summary>
    public int Launched { get; init; }

    /// <summary>Devices whose first connect succeeded (starting -> running).</summary>
    public int Connected { get; init; }

    /// <summary>Devices whose first connect failed, or had not completed when the run ended.</summary>
    public int FailedToConnect { get; init; }

    /// <summary>Devices still waiting for their launch when the run ended (the launch outlasted the duration).</summary>
    public int NotLaunched { get; init; }

    /// <summary>Devices running when the run ended (before they were stopped).</summary>
    public int ConnectedAtEnd { get; init; }

    public int Drops { get; init; }

    public int Reconnects { get; init; }

    public long MessagesSent { get; init; }

    /// <summary>Messages the engine refused because the device was not connected.</summary>
    public long MessagesFailed { get; init; }

    /// <summary>Messages counted in <c>messagesSent</c> that the adapter lost: never written, never acknowledged, refused by the peer (<c>publishFailures</c>: unsent + unacknowledged + refusedByPeer).</summary>
    public long MessagesDropped { get; init; }

    public long BytesSent { get; init; }

    public long CommandsReceived { get; init; }

    /// <summary><c>(messagesFailed + messagesDropped) / (messagesSent + messagesFailed)</c>, 0 without messages.</summary>
    public double ErrorRate { get; init; }

    /// <summary><c>messagesSent</c> over the run time (<c>timings.runMs</c>).</summary>
    public double MessagesPerSecondAvg { get; init; }

    /// <summary>The busiest second of <c>series</c>.</summary>
    public long MessagesPerSecondPeak { get; init; }
}

/// <summary>One second: messages sent and failed in it, bytes, and devices running at its end.</summary>
internal sealed record ReportSecond(int T, long Messages, long Failed, long Bytes, int Connected);

internal sealed record ReportError(string Reason, long Count);
