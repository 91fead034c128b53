using System.Buffers;
using System.Collections.Concurrent;
using IoTix.Core.Behaviors;
using IoTix.Core.Generators;
using IoTix.Core.Models;
using IoTix.Core.Payloads;
using IoTix.Core.Protocols;
using IoTix.Core.Scheduling;
using IoTix.Core.Strategies;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IoTix.Core.Devices;

/// <summary>
/// The simulation engine of a process: creates, starts, stops, drops and deletes simulated devices
/// and groups, and drives all of them from ONE scheduler. This is what the REST API, the console
/// and the command line call. Every public method is thread-safe and returns errors as values.
/// </summary>
/// <remarks>
/// Threading: requests take the scheduler's gate briefly (device objects are built before it is
/// taken); due work runs under the same gate on the scheduler's timer thread. Connects and
/// disconnects are started on the loop but never awaited there; their completions, received
/// commands and lost connections come back through a lock-free inbox drained at the next tick.
/// </remarks>
public sealed partial class SimulationEngine : IScheduledWorkHandler, IAsyncDisposable, IDisposable
{
    private const int FlapCheckMs = 1000;

    /// <summary>Highest device index of a group (slices of a group of up to 100 million devices).</summary>
    public const int MaxDeviceIndex = 100_000_000;

    private readonly SimulationScheduler _scheduler;
    private readonly SimulationOptions _options;
    private readonly ILogger<SimulationEngine> _logger;
    private readonly TelemetryGeneratorFactory _generators;
    private readonly TelemetryPayloadWriter _writer = new();
    private readonly IDeviceModelCatalog? _catalog;
    private readonly Dictionary<string, IProtocolAdapter> _adapters = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<DeviceModel, ModelRuntime> _runtimes = new(ReferenceEqualityComparer.Instance);
    private readonly DeviceTable _devices = new();
    private readonly ConcurrentDictionary<string, DeviceGroup> _groups = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<InboxItem> _inbox = new();
    private readonly ArrayBufferWriter<byte> _payload = new(4096);
    private readonly System.Text.Json.Utf8JsonWriter _alertWriter;
    private readonly int[] _stateCounts = new int[DeviceLifecycle.StateCount];
    private readonly PublishLatencyHistogram _latency = new();
    private readonly PublishLatencyHistogram _ungroupedLatency;
    private int _groupSequence;
    private int _pendingCommands;
    private long _messagesSent;
    private long _messagesFailed;
    private long _bytesSent;
    private long _commandsReceived;
    private long _commandsDropped;
    private long _tickNowMs;
    private int[] _dueScratch = new int[64];

    /// <summary>Passed to shared generators that draw nothing (constants) when the device holds no random sources.</summary>
    private DeviceRandom _unusedRandom;

    public SimulationEngine(
        TimeProvider time,
        IOptions<SimulationOptions> options,
        IEnumerable<IProtocolAdapter> adapters,
        TelemetryGeneratorFactory generators,
        ILogger<SimulationEngine> logger,
        IEnumerable<IDeviceModelCatalog>? catalogs = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(adapters);
        _options = options.Value;
        _logger = logger;
        _generators = generators;
        _catalog = catalogs?.FirstOrDefault();
        foreach (var adapter in adapters)
        {
            _adapters[adapter.Protocol] = adapter;
        }

        RunSeed = _options.Seed is { } seed ? unchecked((ulong)seed) : unchecked((ulong)System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue) << 32 ^ (ulong)System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue));
        _scheduler = new SimulationScheduler(time, _options.SchedulerResolutionMs, _options.TickOverrunWarningMs, logger);
        _alertWriter = new System.Text.Json.Utf8JsonWriter(_payload);
        _ungroupedLatency = new PublishLatencyHistogram(_latency);
    }

    /// <summary>The run seed: from <c>IoTix:Simulation:Seed</c>, or random. Report it to replay a run.</summary>
    public ulong RunSeed { get; }

    /// <summary>Raised on every device lifecycle transition, on the scheduler's loop (keep handlers short). Arguments are built only when someone listens.</summary>
    public event EventHandler<DeviceStateChangedEventArgs>? DeviceStateChanged;

    /// <summary>The protocols with a registered adapter.</summary>
    public IReadOnlyCollection<string> Protocols => _adapters.Keys;

    /// <summary>Starts the scheduler (the hosted service calls it; idempotent). Work requested before runs once started.</summary>
    public void Start()
    {
        _scheduler.Start(this);
        LogStarted(_logger, RunSeed);
    }

    // ------------------------------------------------------------------ groups and devices

    /// <summary>Creates a group from the catalog's model <see cref="DeviceGroupSpec.ModelId"/>.</summary>
    public EngineResult<DeviceGroupInfo> CreateGroup(DeviceGroupSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (_catalog is null || !_catalog.TryGet(spec.ModelId, out var model))
        {
            return EngineResult<DeviceGroupInfo>.Fail(EngineErrorCode.NotFound, $"model '{spec.ModelId}' not found");
        }

        return CreateGroup(model, spec);
    }

    /// <summary>Creates <see cref="DeviceGroupSpec.Count"/> devices of <paramref name="model"/> in state created.</summary>
    public EngineResult<DeviceGroupInfo> CreateGroup(DeviceModel model, DeviceGroupSpec spec)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Count < 1)
        {
            return EngineResult<DeviceGroupInfo>.Fail(EngineErrorCode.InvalidArgument, $"count must be at least 1 (was {spec.Count})");
        }

        if (spec.Count > _options.MaxDevices - _devices.Count)
        {
            return EngineResult<DeviceGroupInfo>.Fail(EngineErrorCode.LimitExceeded, $"count {spec.Count} would exceed {SimulationOptions.SectionName}:MaxDevices ({_options.MaxDevices}; {_devices.Count} exist)");
        }

        if (spec.IndexStart < 0 || spec.IndexStride < 1)
        {
            return EngineResult<DeviceGroupInfo>.Fail(EngineErrorCode.InvalidArgument, $"indexStart must be 0 or more and indexStride at least 1 (were {spec.IndexStart} and {spec.IndexStride})");
        }

        if (spec.IndexStart + ((long)(spec.Count - 1) * spec.IndexStride) > MaxDeviceIndex)
        {
            // The launch timeline is computed up to the last index: keep it (8 bytes per index) bounded.
            return EngineResult<DeviceGroupInfo>.Fail(EngineErrorCode.InvalidArgument, $"the last index (indexStart + (count - 1) * indexStride) must not exceed {MaxDeviceIndex:N0}");
        }

        string ns = spec.Namespace ?? string.Empty;
        string localGroupId = spec.GroupId ?? $"{model.Id}-group-{Interlocked.Increment(ref _groupSequence)}";
        if (localGroupId.Length == 0)
        {
            return EngineResult<DeviceGroupInfo>.Fail(EngineErrorCode.InvalidArgument, "groupId must not be empty");
        }

        string groupId = DeviceNamespace.Key(ns, localGroupId);

        if (_groups.ContainsKey(groupId))
        {
            return EngineResult<DeviceGroupInfo>.Fail(EngineErrorCode.AlreadyExists, $"group '{groupId}' already exists");
        }

        string idPattern = spec.IdPattern ?? DeviceDefaults.IdPattern;
        if (!ModelTemplate.TryParse(idPattern, out var idTemplate, out var patternError))
        {
            return EngineResult<DeviceGroupInfo>.Fail(EngineErrorCode.InvalidArgument, $"idPattern: {patternError}");
        }

        if (spec.Count > 1 && !idTemplate.Placeholders.Contains("index"))
        {
            return EngineResult<DeviceGroupInfo>.Fail(EngineErrorCode.InvalidArgument, "idPattern must contain {index} or ${index} when count is more than 1");
        }

        var runtime = GetRuntime(model);
        if (!runtime.Succeeded)
        {
            return runtime.Error!;
        }

        var latency = new PublishLatencyHistogram(_latency);
        var devices = new SimulatedDevice[spec.Count];
        for (int i = 0; i < devices.Length; i++)
        {
            int index = spec.IndexStart + (i * spec.IndexStride);
            string id = idTemplate.RenderForDevice(string.Empty, index, localGroupId);
            var built = BuildDevice(runtime.Value!, ns, id, index, localGroupId, spec.EndpointOverride, spec.CredentialsOverride, latency);
            if (!built.Succeeded)
            {
                return built.Error!;
            }

            devices[i] = built.Value!;
        }

        var group = new DeviceGroup(localGroupId, model, idPattern, devices, spec, latency);
        lock (_scheduler.Gate)
        {
            if (_groups.ContainsKey(groupId))
            {
                return EngineResult<DeviceGroupInfo>.Fail(EngineErrorCode.AlreadyExists, $"group '{groupId}' already exists");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var d in devices)
            {
                if (!seen.Add(d.Id) || _devices.Contains(d.Id))
                {
                    return EngineResult<DeviceGroupInfo>.Fail(EngineErrorCode.AlreadyExists, $"device id '{d.Id}' already exists (idPattern '{idPattern}')");
                }
            }

            if (devices.Length > _options.MaxDevices - _devices.Count)
            {
                return EngineResult<DeviceGroupInfo>.Fail(EngineErrorCode.LimitExceeded, $"count {spec.Count} would exceed {SimulationOptions.SectionName}:MaxDevices ({_options.MaxDevices})");
            }

            _groups[groupId] = group;
            foreach (var d in devices)
            {
                d.Group = group;
                Register(d);
            }
        }

        LogGroupCreated(_logger, groupId, model.Id, devices.Length);
        // A view over the (never modified) creation array: no second array of a million ids.
        return EngineResult<DeviceGroupInfo>.Ok(new DeviceGroupInfo(groupId, model.Id, devices.Length, idPattern, new DeviceIdList(devices)));
    }

    /// <summary>Creates one device outside any group (id default: <c>{modelId}-{n}</c>).</summary>
    public EngineResult<DeviceMetrics> CreateDevice(DeviceModel model, string? deviceId = null) =>
        CreateDevice(model, new DeviceSpec { DeviceId = deviceId });

    /// <summary>
    /// Creates one device: outside any group, or added to the existing group <see cref="DeviceSpec.GroupId"/>
    /// (same model; the device takes the group's next index and, without an id, the group's id pattern),
    /// optionally with its own endpoint override.
    /// </summary>
    public EngineResult<DeviceMetrics> CreateDevice(DeviceModel model, DeviceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(spec);
        if (_devices.Count >= _options.MaxDevices)
        {
            return EngineResult<DeviceMetrics>.Fail(EngineErrorCode.LimitExceeded, $"{SimulationOptions.SectionName}:MaxDevices ({_options.MaxDevices}) reached");
        }

        DeviceGroup? group = null;
        string ns = spec.Namespace ?? string.Empty;
        if (spec.GroupId is { } localGroupId)
        {
            string groupId = DeviceNamespace.Key(ns, localGroupId);
            if (!_groups.TryGetValue(groupId, out group))
            {
                return EngineResult<DeviceMetrics>.Fail(EngineErrorCode.NotFound, $"group '{groupId}' not found");
            }

            if (!string.Equals(group.Model.Id, model.Id, StringComparison.Ordinal))
            {
                return EngineResult<DeviceMetrics>.Fail(EngineErrorCode.InvalidArgument, $"group '{groupId}' runs model '{group.Model.Id}', not '{model.Id}'");
            }

            model = group.Model;
        }

        if (spec.EndpointOverride is { } endpoint && !EndpointResolver.TryParseAddress(endpoint, out _, out _, out var endpointError))
        {
            return EngineResult<DeviceMetrics>.Fail(EngineErrorCode.InvalidArgument, $"endpoint '{endpoint}' must be host or host:port ({endpointError})");
        }

        var runtime = GetRuntime(model);
        if (!runtime.Succeeded)
        {
            return runtime.Error!;
        }

        int index = 0;
        string? id = spec.DeviceId;
        if (group is not null)
        {
            long next;
            lock (_scheduler.Gate)
            {
                next = group.NextIndex;
                group.NextIndex += group.IndexStride;
            }

            if (next > MaxDeviceIndex)
            {
                return EngineResult<DeviceMetrics>.Fail(EngineErrorCode.LimitExceeded, $"group '{group.GroupId}' has no index left");
            }

            index = (int)next;
            id ??= ModelTemplate.Parse(group.IdPattern).RenderForDevice(string.Empty, index, group.LocalGroupId);
        }

        id ??= $"{model.Id}-{Interlocked.Increment(ref _groupSequence)}";
        // The group's credentials go with the group's endpoint: a device sent elsewhere gets only its own.
        var credentials = spec.CredentialsOverride ?? (spec.EndpointOverride is null ? group?.CredentialsOverride : null);
        var built = BuildDevice(runtime.Value!, ns, id, index, group?.LocalGroupId, spec.EndpointOverride ?? group?.EndpointOverride, credentials, group?.Latency ?? _ungroupedLatency);
        if (!built.Succeeded)
        {
            return built.Error!;
        }

        var device = built.Value!;
        lock (_scheduler.Gate)
        {
            if (_devices.Contains(device.Id))
            {
                return EngineResult<DeviceMetrics>.Fail(EngineErrorCode.AlreadyExists, $"device '{device.Id}' already exists");
            }

            if (group is not null)
            {
                if (!_groups.TryGetValue(group.GroupId, out var current) || !ReferenceEquals(current, group))
                {
                    return EngineResult<DeviceMetrics>.Fail(EngineErrorCode.NotFound, $"group '{group.GroupId}' not found");
                }

                device.Group = group;
                group.Add(device);
            }

            Register(device);
        }

        return EngineResult<DeviceMetrics>.Ok(Snapshot(device));
    }

    /// <summary>Deletes a group: its devices stop (graceful disconnect) and disappear.</summary>
    public EngineResult<int> DeleteGroup(string groupId)
    {
        lock (_scheduler.Gate)
        {
            if (!_groups.TryRemove(groupId, out var group))
            {
                return EngineResult<int>.Fail(EngineErrorCode.NotFound, $"group '{groupId}' not found");
            }

            var devices = group.DeviceArray;
            foreach (var d in devices)
            {
                Unregister(d);
            }

            return EngineResult<int>.Ok(devices.Length);
        }
    }

    /// <summary>Deletes one device (stopping it first).</summary>
    public EngineResult<string> DeleteDevice(string deviceId)
    {
        lock (_scheduler.Gate)
        {
            if (!_devices.TryGet(deviceId, out var d))
            {
                return EngineResult<string>.Fail(EngineErrorCode.NotFound, $"device '{deviceId}' not found");
            }

            Unregister(d);
            d.Group?.Remove(d);
            return EngineResult<string>.Ok(deviceId);
        }
    }

    // ------------------------------------------------------------------ start, stop, dropout

    /// <summary>Starts a group's devices (those created, stopped or failed) on <paramref name="strategy"/>'s timeline (default immediate).</summary>
    public EngineResult<LaunchPlan> StartGroup(string groupId, LaunchStrategy? strategy = null)
    {
        strategy ??= LaunchStrategy.Immediate;
        if (!strategy.TryValidate(out var error))
        {
            return EngineResult<LaunchPlan>.Fail(EngineErrorCode.InvalidArgument, error!);
        }

        if (!_groups.TryGetValue(groupId, out var group))
        {
            return EngineResult<LaunchPlan>.Fail(EngineErrorCode.NotFound, $"group '{groupId}' not found");
        }

        lock (_scheduler.Gate)
        {
            var devices = group.DeviceArray;
            var startable = new List<SimulatedDevice>(devices.Length);
            foreach (var d in devices)
            {
                if (d.State is DeviceState.Created or DeviceState.Stopped or DeviceState.Failed)
                {
                    startable.Add(d);
                }
            }

            // The k-th startable device launches at position IndexStart + k * IndexStride of the whole group's
            // timeline, so a slice of a group (one shard) keeps the offsets its devices have in the whole group.
            int start = group.IndexStart;
            int stride = group.IndexStride;
            var offsets = new long[startable.Count == 0 ? 0 : start + ((startable.Count - 1) * stride) + 1];
            strategy.ComputeOffsets(offsets);
            long now = _scheduler.NowMs;
            long last = 0;
            for (int i = 0; i < startable.Count; i++)
            {
                var d = startable[i];
                last = offsets[start + (i * stride)];
                _scheduler.Schedule(now + last, d.Slot, d.Epoch, WorkKind.Launch);
            }

            _scheduler.Arm();
            var duration = TimeSpan.FromMilliseconds(last);
            LogGroupStarting(_logger, groupId, startable.Count, strategy.Strategy, (long)duration.TotalMilliseconds);
            return EngineResult<LaunchPlan>.Ok(new LaunchPlan(groupId, startable.Count, duration));
        }
    }

    /// <summary>Starts one device now.</summary>
    public EngineResult<DeviceState> StartDevice(string deviceId)
    {
        lock (_scheduler.Gate)
        {
            if (!_devices.TryGet(deviceId, out var d))
            {
                return EngineResult<DeviceState>.Fail(EngineErrorCode.NotFound, $"device '{deviceId}' not found");
            }

            if (d.State is not (DeviceState.Created or DeviceState.Stopped or DeviceState.Failed))
            {
                return EngineResult<DeviceState>.Fail(EngineErrorCode.InvalidState, $"device '{deviceId}' is {DeviceLifecycle.Name(d.State)}; only created, stopped or failed devices start");
            }

            _scheduler.Schedule(_scheduler.NowMs, d.Slot, d.Epoch, WorkKind.Launch);
            _scheduler.Arm();
            return EngineResult<DeviceState>.Ok(d.State);
        }
    }

    /// <summary>Stops a group: pending launches are cancelled, devices disconnect gracefully.</summary>
    public EngineResult<int> StopGroup(string groupId)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return EngineResult<int>.Fail(EngineErrorCode.NotFound, $"group '{groupId}' not found");
        }

        lock (_scheduler.Gate)
        {
            int stopped = 0;
            long now = _scheduler.NowMs;
            foreach (var d in group.DeviceArray)
            {
                stopped += StopCore(d, now, "stop requested") ? 1 : 0;
            }

            return EngineResult<int>.Ok(stopped);
        }
    }

    /// <summary>Stops one device.</summary>
    public EngineResult<DeviceState> StopDevice(string deviceId)
    {
        lock (_scheduler.Gate)
        {
            if (!_devices.TryGet(deviceId, out var d))
            {
                return EngineResult<DeviceState>.Fail(EngineErrorCode.NotFound, $"device '{deviceId}' not found");
            }

            StopCore(d, _scheduler.NowMs, "stop requested");
            return EngineResult<DeviceState>.Ok(d.State);
        }
    }

    /// <summary>
    /// Drops running devices of a group on <paramref name="plan"/>'s timeline: a seeded choice among the
    /// devices running now; each drops abruptly (no graceful disconnect: the broker sees a lost
    /// connection and publishes the last will) and reconnects if the plan says so.
    /// </summary>
    public EngineResult<DropoutSchedule> Dropout(string groupId, DropoutPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!plan.TryValidate(out var error))
        {
            return EngineResult<DropoutSchedule>.Fail(EngineErrorCode.InvalidArgument, error!);
        }

        if (!_groups.TryGetValue(groupId, out var group))
        {
            return EngineResult<DropoutSchedule>.Fail(EngineErrorCode.NotFound, $"group '{groupId}' not found");
        }

        lock (_scheduler.Gate)
        {
            var running = new List<SimulatedDevice>();
            foreach (var d in group.DeviceArray)
            {
                if (d.State == DeviceState.Running)
                {
                    running.Add(d);
                }
            }

            ulong seed = DeviceRandom.Mix(RunSeed, group.LocalGroupId, 0x4000 + group.DropoutCount++);
            var timeline = plan.Plan(running.Count, seed);
            long now = _scheduler.NowMs;
            var planned = new PlannedDropout[timeline.Entries.Count];
            for (int k = 0; k < planned.Length; k++)
            {
                var e = timeline.Entries[k];
                var d = running[e.Position];
                long reconnectDelay = e.ReconnectAtMs < 0 ? -1 : e.ReconnectAtMs - e.DropAtMs;
                _scheduler.Schedule(now + e.DropAtMs, d.Slot, d.Epoch, WorkKind.Drop, (int)Math.Min(reconnectDelay, int.MaxValue));
                planned[k] = new PlannedDropout(d.Id, TimeSpan.FromMilliseconds(e.DropAtMs), e.ReconnectAtMs < 0 ? null : TimeSpan.FromMilliseconds(e.ReconnectAtMs));
            }

            _scheduler.Arm();
            LogDropoutPlanned(_logger, groupId, planned.Length, running.Count, plan.Strategy, plan.Reconnect);
            return EngineResult<DropoutSchedule>.Ok(new DropoutSchedule(groupId, running.Count, planned));
        }
    }

    /// <summary>Delivers a command to a device as if it came over its connection (runs its command behaviours).</summary>
    public EngineResult<string> SendCommand(string deviceId, string command, ReadOnlySpan<byte> payload = default)
    {
        if (!_devices.TryGet(deviceId, out var d))
        {
            return EngineResult<string>.Fail(EngineErrorCode.NotFound, $"device '{deviceId}' not found");
        }

        return EnqueueCommand(d, command, payload, null)
            ? EngineResult<string>.Ok(command)
            : EngineResult<string>.Fail(EngineErrorCode.LimitExceeded, $"inbound command queue full ({SimulationOptions.SectionName}:InboundCommandQueueLimit = {_options.InboundCommandQueueLimit}); command dropped");
    }

    /// <summary>Runs one action (a failure mode, recover, publish ...) on a device now, as a behaviour would.</summary>
    public EngineResult<string> ApplyAction(string deviceId, ActionDefinition action)
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (_scheduler.Gate)
        {
            if (!_devices.TryGet(deviceId, out var d))
            {
                return EngineResult<string>.Fail(EngineErrorCode.NotFound, $"device '{deviceId}' not found");
            }

            var model = new DeviceModel
            {
                Id = d.Model.Id,
                Name = d.Model.Name,
                Telemetry = d.Model.Telemetry,
                State = d.Model.State,
                Commands = d.Model.Commands,
                Connection = d.Model.Connection,
                Behaviors = [new BehaviorDefinition { Name = "api", Trigger = new TriggerDefinition { Type = "time", AfterMs = 0 }, Action = action }],
            };
            var errors = new List<(string Path, string Message)>();
            var set = BehaviorCompiler.Compile(model, errors);
            if (errors.Count > 0)
            {
                return EngineResult<string>.Fail(EngineErrorCode.InvalidArgument, $"{errors[0].Path.Replace("$.behaviors[0].", string.Empty, StringComparison.Ordinal)}: {errors[0].Message}");
            }

            long now = _scheduler.NowMs;
            PrepareBehaviorClock(d, now);
            ExecuteAction(d, set.Behaviors[0], now, depth: 0);
            _scheduler.Arm();
            return EngineResult<string>.Ok(action.Type);
        }
    }

    // ------------------------------------------------------------------ queries

    public IReadOnlyList<DeviceGroup> Groups => [.. _groups.Values];

    public bool TryGetGroup(string groupId, out DeviceGroup group) => _groups.TryGetValue(groupId, out group!);

    public bool TryGetDevice(string deviceId, out SimulatedDevice device) => _devices.TryGet(deviceId, out device!);

    /// <summary>Devices of a group (or all devices), ordered by group then index.</summary>
    public IReadOnlyList<DeviceMetrics> ListDevices(string? groupId = null)
    {
        var result = new List<DeviceMetrics>();
        if (groupId is not null)
        {
            if (_groups.TryGetValue(groupId, out var group))
            {
                foreach (var d in group.DeviceArray)
                {
                    result.Add(Snapshot(d));
                }
            }

            return result;
        }

        foreach (var d in _devices.ToList())
        {
            result.Add(Snapshot(d));
        }

        result.Sort(static (a, b) => string.CompareOrdinal(a.GroupId, b.GroupId) is var c and not 0 ? c : a.Index.CompareTo(b.Index));
        return result;
    }

    public bool TryGetDeviceMetrics(string deviceId, out DeviceMetrics metrics)
    {
        if (_devices.TryGet(deviceId, out var d))
        {
            metrics = Snapshot(d);
            return true;
        }

        metrics = null!;
        return false;
    }

    public SimulationStats GetStats()
    {
        var groups = new List<GroupStats>();
        foreach (var g in _groups.Values)
        {
            groups.Add(GroupSnapshot(g));
        }

        groups.Sort(static (a, b) => string.CompareOrdinal(a.GroupId, b.GroupId));
        return new SimulationStats(
            RunSeed,
            _devices.Count,
            Volatile.Read(ref _stateCounts[(int)DeviceState.Running]),
            Volatile.Read(ref _messagesSent),
            Volatile.Read(ref _messagesFailed),
            Volatile.Read(ref _bytesSent),
            Volatile.Read(ref _commandsReceived),
            Volatile.Read(ref _commandsDropped),
            StateMap(_stateCounts),
            groups,
            new SchedulerStats(_scheduler.TickCount, _scheduler.FiredCount, _scheduler.OverrunCount, _scheduler.PendingCount, _scheduler.TimerCount))
        {
            PublishLatency = _latency.Snapshot(),
        };
    }

    /// <summary>The counters of every registered protocol adapter, by protocol (failures by reason, publish latency).</summary>
    public IReadOnlyDictionary<string, ProtocolAdapterMetrics> GetAdapterMetrics()
    {
        var result = new Dictionary<string, ProtocolAdapterMetrics>(_adapters.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (protocol, adapter) in _adapters)
        {
            result[protocol] = adapter.GetMetrics();
        }

        return result;
    }

    public EngineResult<GroupStats> GetGroupStats(string groupId) =>
        _groups.TryGetValue(groupId, out var g)
            ? EngineResult<GroupStats>.Ok(GroupSnapshot(g))
            : EngineResult<GroupStats>.Fail(EngineErrorCode.NotFound, $"group '{groupId}' not found");

    private static GroupStats GroupSnapshot(DeviceGroup g) => new(
        g.GroupId,
        g.Model.Id,
        g.DeviceArray.Length,
        Volatile.Read(ref g.StateCounts[(int)DeviceState.Running]),
        Volatile.Read(ref g.MessagesSent),
        Volatile.Read(ref g.MessagesFailed),
        Volatile.Read(ref g.BytesSent),
        StateMap(g.StateCounts))
    {
        PublishLatency = g.Latency.Snapshot(),
    };

    private static Dictionary<string, int> StateMap(int[] counts)
    {
        var map = new Dictionary<string, int>(DeviceLifecycle.StateCount, StringComparer.Ordinal);
        for (int i = 0; i < counts.Length; i++)
        {
            map[DeviceLifecycle.Name((DeviceState)i)] = Volatile.Read(ref counts[i]);
        }

        return map;
    }

    private DeviceMetrics Snapshot(SimulatedDevice d)
    {
        long last = Volatile.Read(ref d.LastMessageMs);
        var x = Volatile.Read(ref d.Extras);
        return new DeviceMetrics(
            d.Id, d.GroupId, d.Index, d.Model.Id, d.State,
            Volatile.Read(ref d.MessagesSent), x is null ? 0 : Volatile.Read(ref x.MessagesFailed), Volatile.Read(ref d.BytesSent),
            x is null ? 0 : Volatile.Read(ref x.CommandsReceived), x?.Drops ?? 0, x?.Reconnects ?? 0,
            last < 0 ? null : _scheduler.ToUtc(last), _scheduler.ToUtc(d.StateSinceMs), x?.LastError);
    }

    // ------------------------------------------------------------------ building

    private EngineResult<ModelRuntime> GetRuntime(DeviceModel model)
    {
        string protocol = model.Protocol.ToString().ToLowerInvariant();
        lock (_runtimes)
        {
            if (_runtimes.TryGetValue(model, out var cached))
            {
                return EngineResult<ModelRuntime>.Ok(cached);
            }

            if (!_adapters.TryGetValue(protocol, out var adapter))
            {
                return EngineResult<ModelRuntime>.Fail(EngineErrorCode.NoAdapter, $"no adapter registered for protocol {protocol} (model '{model.Id}'); registered: {(_adapters.Count == 0 ? "none" : string.Join(", ", _adapters.Keys))}");
            }

            var errors = new List<(string Path, string Message)>();
            var behaviors = BehaviorCompiler.Compile(model, errors);
            if (errors.Count > 0)
            {
                return EngineResult<ModelRuntime>.Fail(EngineErrorCode.InvalidModel, $"model '{model.Id}' has invalid behaviours: {string.Join("; ", errors.ConvertAll(e => $"{e.Path}: {e.Message}"))}");
            }

            foreach (var item in model.Telemetry)
            {
                if (item.Topic is { } t && !ModelTemplate.TryParse(t, out _, out var err))
                {
                    return EngineResult<ModelRuntime>.Fail(EngineErrorCode.InvalidModel, $"model '{model.Id}' telemetry '{item.Name}' topic: {err}");
                }
            }

            var prepared = _generators.Prepare(model, model.SourceDirectory);
            if (!prepared.IsValid)
            {
                return EngineResult<ModelRuntime>.Fail(EngineErrorCode.InvalidModel, $"model '{model.Id}' has invalid generators: {string.Join("; ", prepared.Errors)}");
            }

            var runtime = new ModelRuntime(this, model, behaviors, adapter, prepared);
            _runtimes[model] = runtime;
            return EngineResult<ModelRuntime>.Ok(runtime);
        }
    }

    /// <summary>
    /// Builds a device of namespace <paramref name="ns"/> with id <paramref name="id"/> inside it (keyed ns + id): its
    /// topics and client id are rendered once here, with the namespace in front (see <see cref="DeviceNamespace"/>).
    /// </summary>
    private EngineResult<SimulatedDevice> BuildDevice(ModelRuntime runtime, string ns, string id, int index, string? groupId, string? endpointOverride, ConnectionCredentials? credentialsOverride, PublishLatencyHistogram latency)
    {
        var model = runtime.Model;
        if (id.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF'))
        {
            // Payloads write the id as JSON text; refuse ids it cannot encode here, as before, not on the loop.
            _ = System.Text.Json.JsonEncodedText.Encode(id);
        }

        // Items with a shared generator (random, constant) keep their state inline in the device.
        TelemetryGenerator?[]? generators = null;
        if (!runtime.AllShared)
        {
            generators = new TelemetryGenerator?[model.Telemetry.Count];
            for (int i = 0; i < generators.Length; i++)
            {
                if (runtime.SharedGenerators[i] is null)
                {
                    generators[i] = runtime.Generators.Create(i, new GeneratorContext(id, index, RunSeed, i, model.SourceDirectory));
                }
            }
        }

        var device = new SimulatedDevice(ns, id, index, runtime, generators);
        var templates = runtime.TopicTemplates;
        device.Topic = DeviceNamespace.Key(ns, templates[0].RenderForDevice(id, index, groupId));
        if (templates.Length > 1)
        {
            var topics = new string[templates.Length];
            topics[0] = device.Topic;
            for (int t = 1; t < topics.Length; t++)
            {
                topics[t] = DeviceNamespace.Key(ns, templates[t].RenderForDevice(id, index, groupId));
            }

            device.X.Topics = topics;
        }

        device.Connection = runtime.Adapter.CreateConnection(new DeviceConnectionContext
        {
            DeviceId = id,
            Index = index,
            GroupId = groupId,
            Model = model,
            ClientId = runtime.ClientIdIsDeviceId ? device.Id : DeviceNamespace.Key(ns, runtime.ClientIdTemplate.RenderForDevice(id, index, groupId)),
            TopicNamespace = ns,
            Events = device,
            OutboundQueueLimit = _options.OutboundQueueLimit,
            OutboundOverflow = _options.OutboundOverflow,
            EndpointOverride = endpointOverride,
            CredentialsOverride = credentialsOverride,
            PublishLatency = latency,
        });
        return EngineResult<SimulatedDevice>.Ok(device);
    }

    private void Register(SimulatedDevice d)
    {
        d.StateSinceMs = _scheduler.NowMs;
        _devices.Add(d);
        _stateCounts[(int)DeviceState.Created]++;
        if (d.Group is { } g)
        {
            g.StateCounts[(int)DeviceState.Created]++;
        }
    }

    private void Unregister(SimulatedDevice d)
    {
        StopCore(d, _scheduler.NowMs, "deleted");
        d.Epoch++;
        if (d.Extras is { } x)
        {
            x.EffectEpoch++;
        }

        d.MarkDeleted();
        _stateCounts[(int)d.State]--;
        if (d.Group is { } g)
        {
            g.StateCounts[(int)d.State]--;
        }

        _devices.Remove(d);
        _ = DisposeConnectionAsync(d.Connection);
    }

    // ------------------------------------------------------------------ lifecycle

    /// <summary>Applies a transition with counting, logging of refusals and the change event.</summary>
    internal TransitionResult Transition(SimulatedDevice d, DeviceState to, long nowMs, string? reason)
    {
        var from = d.State;
        var result = d.TryTransition(to, nowMs);
        if (!result.Succeeded)
        {
            LogIllegalTransition(_logger, d.Id, result.Reason!);
            return result;
        }

        _stateCounts[(int)from]--;
        _stateCounts[(int)to]++;
        if (d.Group is { } g)
        {
            g.StateCounts[(int)from]--;
            g.StateCounts[(int)to]++;
        }

        LogTransition(_logger, d.Id, from, to, reason);
        var handler = DeviceStateChanged;
        if (handler is not null)
        {
            RaiseStateChanged(handler, d, from, to, nowMs, reason);
        }

        OnLifecycleState(d, to, nowMs);
        return result;
    }

    private void RaiseStateChanged(EventHandler<DeviceStateChangedEventArgs> handler, SimulatedDevice d, DeviceState from, DeviceState to, long nowMs, string? reason)
    {
        try
        {
            handler(this, new DeviceStateChangedEventArgs(d.Id, d.GroupId, from, to, _scheduler.ToUtc(nowMs), reason));
        }
        catch (Exception ex)
        {
            LogListenerFailed(_logger, ex);
        }
    }

    private bool StopCore(SimulatedDevice d, long now, string reason)
    {
        switch (d.State)
        {
            case DeviceState.Created:
            case DeviceState.Stopped:
                d.Epoch++; // cancels a pending launch
                return false;
            case DeviceState.Stopping:
                return false;
            default:
                bool connected = d.State is DeviceState.Running or DeviceState.Starting or DeviceState.Reconnecting;
                Transition(d, DeviceState.Stopping, now, reason);
                if (connected)
                {
                    Disconnect(d, DisconnectMode.Graceful);
                }

                Transition(d, DeviceState.Stopped, now, reason);
                return true;
        }
    }

    private void BeginConnect(SimulatedDevice d, DeviceState connecting, long now, string reason)
    {
        if (Transition(d, connecting, now, reason) is { Succeeded: false })
        {
            return;
        }

        int epoch = d.Epoch;
        ValueTask<ConnectResult> pending;
        try
        {
            pending = d.Connection.ConnectAsync();
        }
        catch (Exception ex)
        {
            OnConnectCompleted(d, ConnectResult.Failure(ex.Message), now);
            return;
        }

        if (pending.IsCompleted)
        {
            ConnectResult result;
            try
            {
                result = pending.Result;
            }
            catch (Exception ex)
            {
                result = ConnectResult.Failure(ex.Message);
            }

            OnConnectCompleted(d, result, now);
            return;
        }

        _ = AwaitConnectAsync(pending, d, epoch);
    }

    private async Task AwaitConnectAsync(ValueTask<ConnectResult> pending, SimulatedDevice d, int epoch)
    {
        ConnectResult result;
        try
        {
            result = await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            result = ConnectResult.Failure(ex.Message);
        }

        _inbox.Enqueue(new InboxItem(InboxKind.ConnectCompleted, d, epoch, result, null, null));
        _scheduler.RequestTick();
    }

    private void OnConnectCompleted(SimulatedDevice d, ConnectResult result, long now)
    {
        bool reconnect = d.State == DeviceState.Reconnecting;
        if (!result.Succeeded)
        {
            d.X.LastError = result.Error;
            LogConnectFailed(_logger, d.Id, result.Error);
            Transition(d, DeviceState.Failed, now, $"connect failed: {result.Error}");
            return;
        }

        if (Transition(d, DeviceState.Running, now, reconnect ? "reconnected" : "connected") is { Succeeded: false })
        {
            return;
        }

        if (reconnect)
        {
            d.X.Reconnects++;
        }
        else
        {
            d.StartedAtMs = now;
            if (d.Extras?.LastFiredMs is { } lastFired)
            {
                Array.Fill(lastFired, long.MinValue);
            }
        }

        if (d.Extras is { } x)
        {
            x.LastError = null;
        }

        if (d.ItemDueMs is { } items)
        {
            Array.Fill(items, now);
        }

        if (d.Values.Length > 0)
        {
            _scheduler.Schedule(now, d.Slot, d.Epoch, WorkKind.Telemetry);
        }

        ArmTimeBehaviors(d, now, reconnect);
        SyncShadowOnConnect(d, now);
    }

    private void Drop(SimulatedDevice d, long now, long reconnectDelayMs, string reason)
    {
        if (d.State != DeviceState.Running)
        {
            return;
        }

        Transition(d, DeviceState.Dropped, now, reason);
        d.X.Drops++;
        Disconnect(d, DisconnectMode.Abrupt);
        if (reconnectDelayMs >= 0)
        {
            _scheduler.Schedule(now + reconnectDelayMs, d.Slot, d.Epoch, WorkKind.Reconnect);
        }
    }

    private void Fail(SimulatedDevice d, long now, long recoverAfterMs, string reason)
    {
        if (d.State is not (DeviceState.Running or DeviceState.Reconnecting or DeviceState.Starting))
        {
            return;
        }

        Transition(d, DeviceState.Failed, now, reason);
        d.X.LastError = reason;
        Disconnect(d, DisconnectMode.Abrupt);
        if (recoverAfterMs >= 0)
        {
            _scheduler.Schedule(now + recoverAfterMs, d.Slot, d.Epoch, WorkKind.Reconnect);
        }
    }

    private void Disconnect(SimulatedDevice d, DisconnectMode mode)
    {
        try
        {
            var pending = d.Connection.DisconnectAsync(mode);
            if (!pending.IsCompletedSuccessfully)
            {
                _ = AwaitDisconnectAsync(pending, d.Id);
            }
        }
        catch (Exception ex)
        {
            LogDisconnectFailed(_logger, d.Id, ex);
        }
    }

    private async Task AwaitDisconnectAsync(ValueTask pending, string deviceId)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogDisconnectFailed(_logger, deviceId, ex);
        }
    }

    private async Task DisposeConnectionAsync(IDeviceConnection connection)
    {
        try
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogDisconnectFailed(_logger, "(deleted)", ex);
        }
    }

    // ------------------------------------------------------------------ the loop

    void IScheduledWorkHandler.OnTickStart(long nowMs)
    {
        _tickNowMs = nowMs;
        while (_inbox.TryDequeue(out var item))
        {
            var d = item.Device;
            if (d.Deleted)
            {
                continue;
            }

            switch (item.Kind)
            {
                case InboxKind.ConnectCompleted:
                    if (item.Epoch == d.Epoch && d.State is DeviceState.Starting or DeviceState.Reconnecting)
                    {
                        OnConnectCompleted(d, item.Result, nowMs);
                    }
                    else if (item.Result.Succeeded && d.State is not DeviceState.Running)
                    {
                        // Stopped or dropped while connecting: close the late connection.
                        Disconnect(d, DisconnectMode.Graceful);
                    }

                    break;
                case InboxKind.Command:
                    Interlocked.Decrement(ref _pendingCommands);
                    OnCommand(d, item.Name!, item.Payload, item.Reply, nowMs);
                    break;
                case InboxKind.ConnectionLost:
                    if (d.State == DeviceState.Running)
                    {
                        // With a reconnect request the adapter's ConnectAsync waits out its backoff: reconnect at once.
                        d.X.LastError = item.Name;
                        Drop(d, nowMs, item.Epoch == ReconnectRequested ? 0 : -1, $"connection lost: {item.Name}");
                    }

                    break;
            }
        }
    }

    void IScheduledWorkHandler.OnDue(in ScheduledWork work)
    {
        var d = _devices.At(work.Slot);
        if (d is null)
        {
            return;
        }

        if (work.Kind == WorkKind.Effect)
        {
            if (d.Extras is { } x && work.Epoch == x.EffectEpoch)
            {
                FlapCheck(d, work.DueMs);
            }

            return;
        }

        if (work.Epoch != d.Epoch)
        {
            return; // cancelled lazily: the device stopped, dropped or failed since
        }

        switch (work.Kind)
        {
            case WorkKind.Telemetry:
                FireTelemetry(d, work.DueMs);
                break;
            case WorkKind.Launch:
                if (d.State is DeviceState.Created or DeviceState.Stopped or DeviceState.Failed)
                {
                    BeginConnect(d, DeviceState.Starting, work.DueMs, "launch");
                }

                break;
            case WorkKind.Drop:
                Drop(d, work.DueMs, work.Arg, "dropout");
                break;
            case WorkKind.Reconnect:
                if (d.State is DeviceState.Dropped or DeviceState.Failed)
                {
                    BeginConnect(d, DeviceState.Reconnecting, work.DueMs, "reconnect");
                }

                break;
            case WorkKind.BehaviorTimer:
                FireTimeBehavior(d, work.Arg, work.DueMs);
                break;
        }
    }

    private void FireTelemetry(SimulatedDevice d, long due)
    {
        if (d.State != DeviceState.Running)
        {
            return;
        }

        var runtime = d.Runtime;
        var values = d.Values;
        int n = values.Length;
        if (_dueScratch.Length < n)
        {
            _dueScratch = new int[n * 2];
        }

        var dueItems = _dueScratch.AsSpan(0, n);
        int count = 0;
        long next = long.MaxValue;
        long sinceStart = due - d.StartedAtMs;
        var extras = d.Extras;
        if (extras is not null)
        {
            PrepareBehaviorClock(d, due);
        }

        bool withEffects = extras?.Effects is not null;
        bool batteryEmpty = false;
        var items = d.ItemDueMs;
        if (items is null)
        {
            // All items share one interval: all are due at every fire.
            for (int i = 0; i < n; i++)
            {
                if (withEffects)
                {
                    batteryEmpty |= GenerateWithEffects(d, i, due, sinceStart);
                }
                else
                {
                    Generate(d, i, sinceStart);
                }

                dueItems[count++] = i;
            }

            next = due + runtime.UniformIntervalMs;
        }
        else
        {
            var generators = d.Generators;
            for (int i = 0; i < n; i++)
            {
                if (items[i] <= due)
                {
                    if (withEffects)
                    {
                        batteryEmpty |= GenerateWithEffects(d, i, due, sinceStart);
                    }
                    else
                    {
                        Generate(d, i, sinceStart);
                    }

                    dueItems[count++] = i;
                    long interval = (generators?[i] is { } generator ? generator.NextIntervalMs : null) ?? runtime.Intervals[i];
                    if (interval < 1)
                    {
                        interval = 1;
                    }

                    // From the due time, not from now: a late tick replays the missed values in order.
                    long itemNext = items[i] + interval;
                    items[i] = itemNext;
                }

                if (items[i] < next)
                {
                    next = items[i];
                }
            }
        }

        if (count > 0 && (extras is null || extras.SilenceUntilMs <= due))
        {
            Publish(d, dueItems[..count], due);
        }

        int epoch = d.Epoch;
        if (extras?.ConditionState is not null)
        {
            EvaluateConditions(d, due, depth: 0);
        }

        if (batteryEmpty && d.State == DeviceState.Running)
        {
            Fail(d, due, -1, "battery empty");
        }

        if (d.State == DeviceState.Running && d.Epoch == epoch && next != long.MaxValue)
        {
            _scheduler.Schedule(next, d.Slot, d.Epoch, WorkKind.Telemetry);
        }
    }

    /// <summary>Advances item <paramref name="i"/>: its shared generator with the device's random source for it, or its own generator.</summary>
    private void Generate(SimulatedDevice d, int i, long sinceStart)
    {
        var shared = d.Runtime.SharedGenerators[i];
        if (shared is null)
        {
            d.Generators![i]!.Next(ref d.Values[i], sinceStart);
        }
        else if (d.ItemRandoms is { } randoms)
        {
            shared.Next(ref d.Values[i], ref randoms[i]);
        }
        else
        {
            shared.Next(ref d.Values[i], ref _unusedRandom);
        }
    }

    private void Publish(SimulatedDevice d, Span<int> dueItems, long due)
    {
        var runtime = d.Runtime;
        var timestamp = _scheduler.ToUtc(due);
        int topics = runtime.TopicTemplates.Length;
        if (topics == 1)
        {
            PublishTelemetry(d, 0, dueItems, timestamp, due);
            return;
        }

        // Items with their own topic go in their own message; group the due items by topic.
        Span<int> group = dueItems.Length <= 64 ? stackalloc int[dueItems.Length] : new int[dueItems.Length];
        for (int t = 0; t < topics; t++)
        {
            int n = 0;
            foreach (int i in dueItems)
            {
                if (runtime.ItemTopic[i] == t)
                {
                    group[n++] = i;
                }
            }

            if (n > 0)
            {
                PublishTelemetry(d, t, group[..n], timestamp, due);
            }
        }
    }

    private void PublishTelemetry(SimulatedDevice d, int topic, ReadOnlySpan<int> items, DateTimeOffset timestamp, long due)
    {
        var payload = _writer.Write(d.Runtime.Layout, d.LocalId, d.Values, items, timestamp.ToUnixTimeMilliseconds());
        Send(d, d.TopicAt(topic), payload.Span, d.Model.Connection.Qos, retain: false, due);
    }

    /// <summary>Hands one message to the device's connection and counts the outcome.</summary>
    private void Send(SimulatedDevice d, string topic, ReadOnlySpan<byte> payload, int qos, bool retain, long now)
    {
        PublishStatus status;
        try
        {
            status = d.Connection.TryPublish(topic, payload, qos, retain);
        }
        catch (Exception ex)
        {
            LogPublishFailed(_logger, d.Id, ex);
            status = PublishStatus.Rejected;
        }

        CountSend(d, status, payload.Length, now);
    }

    /// <summary>Counts one message handed to a device's connection (sent or failed) in the device, group and engine totals.</summary>
    private void CountSend(SimulatedDevice d, PublishStatus status, int length, long now)
    {
        var g = d.Group;
        if (status == PublishStatus.Accepted)
        {
            d.MessagesSent++;
            d.BytesSent += length;
            d.LastMessageMs = now;
            _messagesSent++;
            _bytesSent += length;
            if (g is not null)
            {
                g.MessagesSent++;
                g.BytesSent += length;
            }
        }
        else
        {
            d.X.MessagesFailed++;
            _messagesFailed++;
            if (g is not null)
            {
                g.MessagesFailed++;
            }
        }
    }

    // ------------------------------------------------------------------ inbound

    private bool EnqueueCommand(SimulatedDevice d, string name, ReadOnlySpan<byte> payload, CommandReply? reply)
    {
        if (Interlocked.Increment(ref _pendingCommands) > _options.InboundCommandQueueLimit)
        {
            Interlocked.Decrement(ref _pendingCommands);
            Interlocked.Increment(ref _commandsDropped);
            LogCommandDropped(_logger, d.Id, name, _options.InboundCommandQueueLimit);
            return false;
        }

        Interlocked.Increment(ref _commandsReceived);
        Interlocked.Increment(ref d.X.CommandsReceived);
        _inbox.Enqueue(new InboxItem(InboxKind.Command, d, 0, default, name, payload.ToArray(), reply));
        _scheduler.RequestTick();
        return true;
    }

    private const int ReconnectRequested = 1;

    private enum InboxKind : byte { ConnectCompleted, Command, ConnectionLost }

    private readonly record struct InboxItem(InboxKind Kind, SimulatedDevice Device, int Epoch, ConnectResult Result, string? Name, byte[]? Payload, CommandReply? Reply = null);

    /// <summary>A device's connection received a command (any thread): into the inbox.</summary>
    internal void OnCommandReceived(SimulatedDevice device, string commandName, ReadOnlySpan<byte> payload) =>
        EnqueueCommand(device, commandName, payload, null);

    /// <summary>A request that expects an answer (MQTT 5 Response Topic and Correlation Data), from any thread: into the inbox.</summary>
    internal void OnCommandReceived(SimulatedDevice device, string commandName, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> responseTopic, ReadOnlySpan<byte> correlationData) =>
        EnqueueCommand(device, commandName, payload, new CommandReply(System.Text.Encoding.UTF8.GetString(responseTopic), correlationData.ToArray()));

    /// <summary>A device's connection was lost (any thread): into the inbox; <paramref name="reconnect"/> asks for an immediate reconnect (the adapter paces it).</summary>
    internal void OnConnectionLost(SimulatedDevice device, string reason, bool reconnect)
    {
        _inbox.Enqueue(new InboxItem(InboxKind.ConnectionLost, device, reconnect ? ReconnectRequested : 0, default, reason, null));
        _scheduler.RequestTick();
    }

    // ------------------------------------------------------------------ shutdown

    /// <summary>Stops every device (graceful disconnects) and the scheduler.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_scheduler.Gate)
        {
            long now = _scheduler.NowMs;
            foreach (var d in _devices.ToList())
            {
                StopCore(d, now, "engine stopping");
            }
        }

        _scheduler.Dispose();
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _alertWriter.Dispose();
    }

    /// <summary>Stops every device and the scheduler (disconnects are not awaited).</summary>
    public void Dispose()
    {
        _ = StopAsync();
        _alertWriter.Dispose();
    }

    internal SimulationScheduler Scheduler => _scheduler;
}
