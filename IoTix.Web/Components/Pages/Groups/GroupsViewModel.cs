using IoTix.Core.Devices;
using IoTix.Core.Generators;
using IoTix.Core.Strategies;
using IoTix.Web.Accounts;
using IoTix.Web.Audit;
using IoTix.Web.Simulations;

namespace IoTix.Web.Components.Pages.Groups;

/// <summary>
/// State of the groups page: the groups with their state counts and launch progress, refreshed by polling the
/// orchestrator on a timer (about twice a second) while the page lives, and each launch's ramp (running devices
/// against the plan). A launch already under way (or over) when the page first sees it is drawn from what the engine
/// knows: each running device's time of connection since the run's start, so opening the page mid-launch or after it
/// still shows the whole ramp. A group with no launch in this process shows its last stored run (run store: start
/// time, strategy, planned devices, how it ended). Actions go through <see cref="SimulationOrchestrator"/>, the REST
/// API's path.
/// </summary>
public sealed class GroupsViewModel : IDisposable
{
    /// <summary>Samples kept per ramp; past it every other sample is dropped, so a long launch stays bounded.</summary>
    internal const int MaxRampSamples = 2000;

    private const int PlanPoints = 200;

    private readonly SimulationOrchestrator _simulations;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ConsoleAudit? _audit;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, RampTrace> _ramps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimulationRun> _lastRuns = new(StringComparer.Ordinal);
    private ITimer? _timer;
    private IReadOnlyList<GroupView> _groups = [];

    /// <param name="audit">Where the changes made through this view model are audited (the console page passes its circuit's).</param>
    public GroupsViewModel(SimulationOrchestrator simulations, TimeProvider time, TimeSpan? interval = null, ConsoleAudit? audit = null)
    {
        ArgumentNullException.ThrowIfNull(simulations);
        ArgumentNullException.ThrowIfNull(time);
        _simulations = simulations;
        _time = time;
        _interval = interval ?? TimeSpan.FromMilliseconds(500);
        _audit = audit;
    }

    /// <summary>Raised after each refresh (from the timer's thread: apply with InvokeAsync).</summary>
    public event Action? Changed;

    public IReadOnlyList<GroupView> Groups => _groups;

    /// <summary>Ids of the loaded models, for the create form.</summary>
    public IReadOnlyList<string> ModelIds
    {
        get
        {
            var ids = new List<string>();
            foreach (var model in _simulations.VisibleModels())
            {
                ids.Add(model.Id);
            }

            ids.Sort(StringComparer.Ordinal);
            return ids;
        }
    }

    /// <summary>Starts polling (idempotent).</summary>
    public void Start()
    {
        Refresh();
        _timer ??= _time.CreateTimer(static state => ((GroupsViewModel)state!).Tick(), this, _interval, _interval);
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _timer = null;
        Changed = null;
    }

    /// <summary>Takes a new snapshot of the groups and samples the ramps of launches in progress.</summary>
    public void Refresh()
    {
        var groups = _simulations.ListGroups();
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            foreach (var group in groups)
            {
                Sample(group, now);
            }
        }

        _groups = groups;
    }

    public async Task<SimulationError?> CreateAsync(DeviceGroupSpec spec)
    {
        if (await RefusedAsync(Permissions.SimulationsWrite, "group.create", spec.GroupId ?? spec.ModelId) is { } refused)
        {
            return refused;
        }

        var result = await _simulations.CreateGroupAsync(spec);
        Refresh();
        await AuditAsync("group.create", result.Value?.GroupId ?? spec.GroupId ?? spec.ModelId, result.Error);
        return result.Error;
    }

    public async Task<SimulationError?> LaunchAsync(string groupId, LaunchStrategy launch)
    {
        if (await RefusedAsync(Permissions.SimulationsRun, "group.launch", groupId) is { } refused)
        {
            return refused;
        }

        var result = await _simulations.StartGroupAsync(groupId, launch);
        Refresh();
        await AuditAsync("group.launch", groupId, result.Error);
        return result.Error;
    }

    /// <summary>Stops the group and launches it again on its last strategy (applies the model's current revision).</summary>
    public async Task<SimulationResult<LaunchReceipt>> RestartAsync(string groupId)
    {
        if (await RefusedAsync(Permissions.SimulationsRun, "group.restart", groupId) is { } refused)
        {
            return refused;
        }

        var result = await _simulations.RestartGroupAsync(groupId);
        Refresh();
        await AuditAsync("group.restart", groupId, result.Error);
        return result;
    }

    public async Task<SimulationResult<int>> StopAsync(string groupId)
    {
        if (await RefusedAsync(Permissions.SimulationsRun, "group.stop", groupId) is { } refused)
        {
            return refused;
        }

        var result = await _simulations.StopGroupAsync(groupId);
        Refresh();
        await AuditAsync("group.stop", groupId, result.Error);
        return result;
    }

    public async Task<SimulationResult<int>> DeleteAsync(string groupId)
    {
        if (await RefusedAsync(Permissions.SimulationsWrite, "group.delete", groupId) is { } refused)
        {
            return refused;
        }

        var result = await _simulations.DeleteGroupAsync(groupId);
        lock (_lock)
        {
            _ramps.Remove(groupId);
        }

        Refresh();
        await AuditAsync("group.delete", groupId, result.Error);
        return result;
    }

    /// <summary>Drops devices of the group by the plan (checked against the user's role, audited).</summary>
    public async Task<SimulationResult<DropoutSchedule>> DropoutAsync(string groupId, DropoutPlan plan)
    {
        if (await RefusedAsync(Permissions.SimulationsRun, "group.dropout", groupId) is { } refused)
        {
            return refused;
        }

        var result = _simulations.Dropout(groupId, plan);
        Refresh();
        await AuditAsync("group.dropout", groupId, result.Error);
        return result;
    }

    /// <summary>The refusal of an action the signed-in user's role does not allow (checked here, not only by disabled buttons).</summary>
    private async Task<SimulationError?> RefusedAsync(string permission, string what, string groupId) =>
        await _audit.PermissionRefusalAsync(permission, what, groupId).ConfigureAwait(false) is { } refusal
            ? new SimulationError(EngineErrorCode.InvalidState, refusal)
            : null;

    private Task AuditAsync(string what, string groupId, SimulationError? error) =>
        _audit is null ? Task.CompletedTask : _audit.RecordAsync(what, groupId, error?.Message);

    /// <summary>The group's runs, newest first; null when the database is unavailable. The newest is kept for <see cref="Ramp"/>.</summary>
    public async Task<IReadOnlyList<SimulationRun>?> RunsAsync(string groupId, int limit = 20)
    {
        var runs = await _simulations.ListRunsAsync(groupId, limit).ConfigureAwait(false);
        if (runs is { Count: > 0 })
        {
            lock (_lock)
            {
                _lastRuns[groupId] = runs[0];
            }
        }

        return runs;
    }

    /// <summary>The seed the engine uses for the group's first dropout of this run (so the preview matches it).</summary>
    public ulong DropoutSeed(string groupId) => DeviceRandom.Mix(_simulations.Engine.RunSeed, groupId, 0x4000);

    /// <summary>
    /// The latest launch of a group as planned and as it happened so far: traced live, filled in from the engine when
    /// the launch was under way before the page saw it, or (no launch in this process) the last stored run's plan
    /// once <see cref="RunsAsync"/> read it. Null when the group was never launched.
    /// </summary>
    public RampView? Ramp(string groupId, int points = 40)
    {
        lock (_lock)
        {
            _lastRuns.TryGetValue(groupId, out var lastRun);
            if (!_ramps.TryGetValue(groupId, out var trace))
            {
                return lastRun is null ? null : StoredRamp(lastRun, points);
            }

            long lastAt = trace.Samples.Count == 0 ? 0 : trace.Samples[^1].AtMs;
            long span = Math.Max(Math.Max(trace.Plan.TotalMs, lastAt), 1000);
            var at = new long[points];
            var planned = new double?[points];
            var running = new double?[points];
            var s = 0;
            for (var j = 0; j < points; j++)
            {
                at[j] = span * j / (points - 1);
                planned[j] = PlannedAt(trace.Plan, at[j]);
                while (s < trace.Samples.Count && trace.Samples[s].AtMs <= at[j])
                {
                    s++;
                }

                running[j] = at[j] > lastAt || s == 0 ? null : trace.Samples[s - 1].Running;
            }

            var lastRunning = trace.Samples.Count == 0 ? 0 : trace.Samples[^1].Running;
            var ended = lastRun is not null && trace.RunId == lastRun.Id ? lastRun : null;
            return new RampView(trace.Planned, at, planned, running, lastRunning, trace.Complete, trace.Plan.TotalMs)
            {
                RunId = trace.RunId,
                StartedAt = trace.StartedAt,
                Strategy = trace.Strategy,
                Backfilled = trace.Backfilled,
                EndReason = ended?.EndReason,
                RunningAtEnd = ended?.AtEnd?.RunningDevices,
            };
        }
    }

    /// <summary>A run of an earlier process: its plan (the running devices were not observed here), and how it ended.</summary>
    private static RampView StoredRamp(SimulationRun run, int points)
    {
        var plan = Plan(run.Launch, run.PlannedDevices);
        long span = Math.Max(plan.TotalMs, 1000);
        var at = new long[points];
        var planned = new double?[points];
        var running = new double?[points];
        for (var j = 0; j < points; j++)
        {
            at[j] = span * j / (points - 1);
            planned[j] = PlannedAt(plan, at[j]);
        }

        return new RampView(run.PlannedDevices, at, planned, running, run.AtEnd?.RunningDevices ?? 0, run.EndedAt is not null, plan.TotalMs)
        {
            RunId = run.Id,
            StartedAt = run.StartedAt,
            Strategy = run.Launch.Strategy,
            Stored = true,
            EndReason = run.EndReason,
            RunningAtEnd = run.AtEnd?.RunningDevices,
        };
    }

    private static StrategyTimeline Plan(LaunchStrategy launch, int planned)
    {
        var offsets = new long[planned];
        launch.ComputeOffsets(offsets);
        return StrategyTimeline.FromOffsets(offsets, null, PlanPoints);
    }

    private void Tick()
    {
        try
        {
            Refresh();
            Changed?.Invoke();
        }
        catch (ObjectDisposedException)
        {
            // The host is shutting down; the page goes with it.
        }
    }

    private void Sample(GroupView group, DateTimeOffset now)
    {
        if (group.Progress is not { } progress)
        {
            return;
        }

        if (!_ramps.TryGetValue(group.GroupId, out var trace) || trace.RunId != progress.RunId || trace.StartedAt != progress.StartedAt)
        {
            var launch = group.Launch ?? LaunchStrategy.Immediate;
            trace = new RampTrace(progress.RunId, progress.StartedAt, progress.PlannedDevices, launch.Strategy, Plan(launch, progress.PlannedDevices));
            _ramps[group.GroupId] = trace;
            if (!group.Running)
            {
                // Stopped before the page saw it: the plan, and how the run ended (from the run store).
                trace.Complete = true;
                return;
            }

            if (progress.RunningDevices > 0)
            {
                Backfill(trace, group.GroupId);
            }
        }

        if (trace.Complete)
        {
            return;
        }

        var atMs = Math.Max(0, (long)(now - progress.StartedAt).TotalMilliseconds);
        if (trace.Samples.Count > 0 && atMs < trace.Samples[^1].AtMs)
        {
            atMs = trace.Samples[^1].AtMs; // never go back in time (the engine's clock and this one may differ slightly)
        }

        trace.Samples.Add(new RampSample(atMs, progress.RunningDevices));
        if (progress.Complete)
        {
            trace.Complete = true;
        }

        if (trace.Samples.Count > MaxRampSamples)
        {
            for (var i = trace.Samples.Count - 2; i > 0; i -= 2)
            {
                trace.Samples.RemoveAt(i);
            }
        }
    }

    /// <summary>
    /// A launch the page first sees under way or over: its past, from when each running device connected (the
    /// engine's state-since time) relative to the run's start. Devices that dropped or stopped since are not counted.
    /// </summary>
    private void Backfill(RampTrace trace, string groupId)
    {
        var devices = _simulations.ListDevices(groupId);
        var offsets = new List<long>(devices.Count);
        foreach (var device in devices)
        {
            if (device.State == DeviceState.Running)
            {
                offsets.Add(Math.Max(0, (long)(device.StateSince - trace.StartedAt).TotalMilliseconds));
            }
        }

        if (offsets.Count == 0)
        {
            return;
        }

        offsets.Sort();
        var sorted = offsets.ToArray();
        long last = sorted[^1];
        long previous = -1;
        for (var j = 0; j < PlanPoints; j++)
        {
            long at = last * j / (PlanPoints - 1);
            if (at == previous)
            {
                continue;
            }

            previous = at;
            trace.Samples.Add(new RampSample(at, OffsetTimeline.CountAtOrBefore(sorted, at)));
        }

        trace.Backfilled = true;
    }

    private static double PlannedAt(StrategyTimeline plan, long atMs)
    {
        if (plan.AtMs.Count == 0)
        {
            return 0;
        }

        if (atMs >= plan.TotalMs)
        {
            return plan.Total;
        }

        double value = 0;
        for (var i = 0; i < plan.AtMs.Count && plan.AtMs[i] <= atMs; i++)
        {
            value = plan.Primary[i];
        }

        return value;
    }

    private sealed class RampTrace(long? runId, DateTimeOffset startedAt, int planned, LaunchStrategyKind strategy, StrategyTimeline plan)
    {
        public LaunchStrategyKind Strategy { get; } = strategy;

        /// <summary>True when the samples before the page saw the launch come from the engine's state.</summary>
        public bool Backfilled { get; set; }

        public long? RunId { get; } = runId;

        public DateTimeOffset StartedAt { get; } = startedAt;

        public int Planned { get; } = planned;

        public StrategyTimeline Plan { get; } = plan;

        public List<RampSample> Samples { get; } = [];

        public bool Complete { get; set; }
    }

    private readonly record struct RampSample(long AtMs, int Running);
}

/// <summary>A launch's ramp for the chart: planned started devices and observed running devices (null: not yet observed) at each time.</summary>
public sealed record RampView(
    int Planned,
    IReadOnlyList<long> AtMs,
    IReadOnlyList<double?> PlannedDevices,
    IReadOnlyList<double?> RunningDevices,
    int Running,
    bool Complete,
    long PlannedDurationMs)
{
    /// <summary>The run (null when the run store was unavailable at the start).</summary>
    public long? RunId { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    public LaunchStrategyKind Strategy { get; init; }

    /// <summary>The part before the page saw the launch was reconstructed from the engine's state.</summary>
    public bool Backfilled { get; init; }

    /// <summary>A run of an earlier process, from the run store: planned only, the running devices were not observed.</summary>
    public bool Stored { get; init; }

    /// <summary>How the run ended (stopped, deleted, host-stopped ...); null while it runs or when not read yet.</summary>
    public string? EndReason { get; init; }

    /// <summary>Running devices when the run ended.</summary>
    public int? RunningAtEnd { get; init; }
}
