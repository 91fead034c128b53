using IoTix.Core.Devices;
using IoTix.Core.Generators;
using IoTix.Core.Strategies;
using IoTix.Web.Simulations;

namespace IoTix.Web.Components.Pages.Groups;

/// <summary>
/// State of the groups page: the groups with their state counts and launch progress, refreshed by polling the
/// orchestrator on a timer (about twice a second) while the page lives, and each launch's ramp as it happens
/// (running devices against the plan). Actions go through <see cref="SimulationOrchestrator"/>, the REST API's path.
/// </summary>
public sealed class GroupsViewModel : IDisposable
{
    /// <summary>Samples kept per ramp; past it every other sample is dropped, so a long launch stays bounded.</summary>
    internal const int MaxRampSamples = 2000;

    private const int PlanPoints = 200;

    private readonly SimulationOrchestrator _simulations;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, RampTrace> _ramps = new(StringComparer.Ordinal);
    private ITimer? _timer;
    private IReadOnlyList<GroupView> _groups = [];

    public GroupsViewModel(SimulationOrchestrator simulations, TimeProvider time, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(simulations);
        ArgumentNullException.ThrowIfNull(time);
        _simulations = simulations;
        _time = time;
        _interval = interval ?? TimeSpan.FromMilliseconds(500);
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
        var result = await _simulations.CreateGroupAsync(spec);
        Refresh();
        return result.Error;
    }

    public async Task<SimulationError?> LaunchAsync(string groupId, LaunchStrategy launch)
    {
        var result = await _simulations.StartGroupAsync(groupId, launch);
        Refresh();
        return result.Error;
    }

    public async Task<SimulationResult<int>> StopAsync(string groupId)
    {
        var result = await _simulations.StopGroupAsync(groupId);
        Refresh();
        return result;
    }

    public async Task<SimulationResult<int>> DeleteAsync(string groupId)
    {
        var result = await _simulations.DeleteGroupAsync(groupId);
        lock (_lock)
        {
            _ramps.Remove(groupId);
        }

        Refresh();
        return result;
    }

    public SimulationResult<DropoutSchedule> Dropout(string groupId, DropoutPlan plan)
    {
        var result = _simulations.Dropout(groupId, plan);
        Refresh();
        return result;
    }

    /// <summary>The group's runs, newest first; null when the database is unavailable.</summary>
    public Task<IReadOnlyList<SimulationRun>?> RunsAsync(string groupId, int limit = 20) =>
        _simulations.ListRunsAsync(groupId, limit);

    /// <summary>The seed the engine uses for the group's first dropout of this run (so the preview matches it).</summary>
    public ulong DropoutSeed(string groupId) => DeviceRandom.Mix(_simulations.Engine.RunSeed, groupId, 0x4000);

    /// <summary>The latest launch of a group as planned and as it happened so far; null before the first launch seen here.</summary>
    public RampView? Ramp(string groupId, int points = 40)
    {
        lock (_lock)
        {
            if (!_ramps.TryGetValue(groupId, out var trace))
            {
                return null;
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
            return new RampView(trace.Planned, at, planned, running, lastRunning, trace.Complete, trace.Plan.TotalMs);
        }
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
            var offsets = new long[progress.PlannedDevices];
            launch.ComputeOffsets(offsets);
            trace = new RampTrace(progress.RunId, progress.StartedAt, progress.PlannedDevices, StrategyTimeline.FromOffsets(offsets, null, PlanPoints));
            _ramps[group.GroupId] = trace;
        }

        if (trace.Complete)
        {
            return;
        }

        var atMs = Math.Max(0, (long)(now - progress.StartedAt).TotalMilliseconds);
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

    private sealed class RampTrace(long? runId, DateTimeOffset startedAt, int planned, StrategyTimeline plan)
    {
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
    long PlannedDurationMs);
