using System.Globalization;
using IoTix.Core.Devices;
using IoTix.Core.Strategies;

namespace IoTix.Web.Cli.Run;

/// <summary>
/// One headless run: creates the devices (the group, or one shard of it), launches them, samples
/// the engine's counters every half second (progress; one series entry per second), starts the
/// optional dropout, stops at the end of the duration (launch included) or on cancellation,
/// stops the devices cleanly and builds the report.
/// </summary>
internal sealed class SimulationRun(SimulationEngine engine, TimeProvider time, RunSettings settings, LoadedModel model, RunConsole console, RunEnvironment environment)
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan StopPoll = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan InterruptedStopTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Creates the devices; an engine refusal (no adapter, a limit, a bad id pattern) is returned as a value.</summary>
    public EngineResult<DevicePopulation> CreateDevices() =>
        DevicePopulation.Create(engine, model.Model, GroupId, settings.IdPattern, settings.Count, settings.Shard);

    public string GroupId => settings.GroupId ?? model.Model.Id;

    public async Task<RunReport> ExecuteAsync(DevicePopulation population, CancellationToken cancellationToken)
    {
        var recorder = new RunRecorder();
        engine.DeviceStateChanged += recorder.OnStateChanged;
        var startedAt = time.GetUtcNow();
        long start = time.GetTimestamp();
        bool interrupted = false;
        ReportDropout? dropoutReport = null;
        var launchPlanned = TimeSpan.Zero;
        TimeSpan runTime;
        try
        {
            launchPlanned = population.StartLaunch(settings.Launch);
            var dropoutAt = settings.DropoutAt ?? launchPlanned + TimeSpan.FromSeconds(1);
            bool dropoutDone = settings.Dropout is null;
            console.Begin(Title(population));

            for (int tick = 1; ; tick++)
            {
                var due = Tick * tick;
                var end = due >= settings.Duration;
                if (end)
                {
                    due = settings.Duration;
                }

                var wait = due - time.GetElapsedTime(start);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
                }

                if (!dropoutDone && time.GetElapsedTime(start) >= dropoutAt && !end)
                {
                    dropoutDone = true;
                    dropoutReport = StartDropout(population, dropoutAt);
                }

                var stats = engine.GetStats();
                if (tick % 2 == 0 && !end)
                {
                    recorder.Sample(tick / 2, stats);
                }

                Progress(recorder, stats, time.GetElapsedTime(start));
                if (end)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            interrupted = true;
        }
        finally
        {
            runTime = time.GetElapsedTime(start);
        }

        // Stop: what was still connecting failed to connect; everyone disconnects gracefully.
        var before = engine.GetStats();
        int connectedAtEnd = before.RunningDeviceCount;
        recorder.AddUnfinishedConnects(Count(before, DeviceState.Starting));
        int notLaunched = Count(before, DeviceState.Created) - (population.DeviceCount < before.DeviceCount ? before.DeviceCount - population.DeviceCount : 0);
        population.Stop();
        long stopStart = time.GetTimestamp();
        var stopTimeout = interrupted ? InterruptedStopTimeout : settings.StopTimeout;
        var final = engine.GetStats();
        while (Count(final, DeviceState.Stopping) > 0 && time.GetElapsedTime(stopStart) < stopTimeout)
        {
            await Task.Delay(StopPoll, time, CancellationToken.None).ConfigureAwait(false);
            final = engine.GetStats();
        }

        // The engine marks devices stopped at once; the adapters then drain (outstanding PUBACK/PUBCOMP, DISCONNECT) and
        // close. The report waits for those closes, so every acknowledgement, its latency and every loss is counted.
        while (OpenConnections(engine) > 0 && time.GetElapsedTime(stopStart) < stopTimeout)
        {
            await Task.Delay(StopPoll, time, CancellationToken.None).ConfigureAwait(false);
        }

        final = engine.GetStats();
        var stopTime = time.GetElapsedTime(stopStart);
        engine.DeviceStateChanged -= recorder.OnStateChanged;
        recorder.Sample((int)Math.Ceiling((runTime + stopTime).TotalSeconds), final);
        await console.EndAsync(interrupted ? "interrupted: devices stopped, writing the report" : null).ConfigureAwait(false);

        long peak = 0;
        foreach (var s in recorder.Series)
        {
            peak = Math.Max(peak, s.Messages);
        }

        var failures = engine.GetAdapterMetrics().TryGetValue(Name(model.Model.Protocol), out var adapter) ? adapter.Failures : default;
        var totals = new ReportTotals
        {
            Devices = population.DeviceCount,
            Launched = recorder.Launched,
            Connected = recorder.Connected,
            FailedToConnect = recorder.FailedToConnect,
            NotLaunched = Math.Max(0, notLaunched),
            ConnectedAtEnd = connectedAtEnd,
            Drops = recorder.Drops,
            Reconnects = recorder.Reconnects,
            MessagesSent = final.MessagesSent,
            MessagesFailed = final.MessagesFailed,
            MessagesDropped = failures.Lost,
            BytesSent = final.BytesSent,
            CommandsReceived = final.CommandsReceived,
            ErrorRate = RunVerdict.ErrorRate(final.MessagesSent, final.MessagesFailed, failures.Lost),
            MessagesPerSecondAvg = runTime.TotalSeconds > 0 ? Math.Round(final.MessagesSent / runTime.TotalSeconds, 3) : 0,
            MessagesPerSecondPeak = peak,
        };
        var thresholds = new ReportThresholds(settings.MaxErrorRate, settings.MaxConnectFailures);
        var (status, reasons) = RunVerdict.Judge(totals, thresholds, interrupted);
        var launch = settings.Launch;
        return new RunReport
        {
            Status = status,
            ExitCode = RunStatus.ExitCode(status),
            FailureReasons = reasons,
            Seed = unchecked((long)engine.RunSeed).ToString(CultureInfo.InvariantCulture),
            Model = new ReportModel(model.Model.Id, model.Model.Protocol.ToString().ToLowerInvariant(), model.Source),
            GroupId = GroupId,
            Count = settings.Count,
            Shard = settings.Shard.IsWhole ? null : new ReportShard(settings.Shard.Index, settings.Shard.Count, population.DeviceCount),
            Endpoint = settings.Broker?.ToString() ?? settings.Url,
            Launch = new ReportLaunch(Name(launch.Strategy), launch.DelayMs, launch.BatchSize, launch.MaxDelayMs, launch.ExponentBase, (long)launchPlanned.TotalMilliseconds),
            Dropout = dropoutReport,
            Thresholds = thresholds,
            Timings = new ReportTimings(startedAt, startedAt + runTime + stopTime, (long)settings.Duration.TotalMilliseconds, (long)runTime.TotalMilliseconds, (long)stopTime.TotalMilliseconds),
            Totals = totals,
            Series = recorder.Series,
            Errors = recorder.Errors(final.MessagesFailed, failures),
            PublishFailures = failures,
            PublishLatency = final.PublishLatency,
        };
    }

    private ReportDropout StartDropout(DevicePopulation population, TimeSpan at)
    {
        var plan = settings.Dropout!;
        if (plan.Count is { } count && !settings.Shard.IsWhole)
        {
            // A count is for the whole group: each shard drops its share.
            var shard = settings.Shard;
            plan = Copy(plan, count / shard.Count + (shard.Index - 1 < count % shard.Count ? 1 : 0));
        }

        var started = population.StartDropout(plan);
        return new ReportDropout(
            Name(plan.Strategy), plan.Count, plan.Percentage, plan.DelayMs, plan.DurationMs, plan.Reconnect, plan.ReconnectDelayMs,
            (long)at.TotalMilliseconds, started.Succeeded ? started.Value : 0);
    }

    private static DropoutPlan Copy(DropoutPlan p, int count) => new()
    {
        Strategy = p.Strategy,
        Count = count,
        Percentage = p.Percentage,
        DelayMs = p.DelayMs,
        DurationMs = p.DurationMs,
        ExponentBase = p.ExponentBase,
        Reconnect = p.Reconnect,
        ReconnectDelayMs = p.ReconnectDelayMs,
    };

    private void Progress(RunRecorder recorder, SimulationStats stats, TimeSpan elapsed)
    {
        var snapshot = new RunProgressSnapshot(
            elapsed,
            settings.Duration,
            settings.Shard.SizeOf(settings.Count),
            recorder.Launched,
            stats.RunningDeviceCount,
            recorder.FailedToConnect,
            recorder.LastSecondMessages,
            stats.MessagesSent,
            stats.MessagesFailed,
            Count(stats, DeviceState.Failed) + Count(stats, DeviceState.Dropped));
        console.Update(snapshot);
        environment.OnProgress?.Invoke(snapshot);
    }

    private string Title(DevicePopulation population)
    {
        var shard = settings.Shard.IsWhole ? string.Empty : $" shard {settings.Shard} ({population.DeviceCount} devices)";
        return string.Create(CultureInfo.InvariantCulture, $"iotix run: {settings.Count} x {model.Model.Id} ({model.Model.Protocol.ToString().ToLowerInvariant()}){shard} for {settings.Duration.TotalSeconds:0.###}s, launch {Name(settings.Launch.Strategy)}, seed {unchecked((long)engine.RunSeed)}");
    }

    private static long OpenConnections(SimulationEngine engine)
    {
        long open = 0;
        foreach (var (_, metrics) in engine.GetAdapterMetrics())
        {
            open += metrics.OpenConnections;
        }

        return open;
    }

    private static int Count(SimulationStats stats, DeviceState state) =>
        stats.DevicesByState.TryGetValue(DeviceLifecycle.Name(state), out int n) ? n : 0;

    internal static string Name<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}
