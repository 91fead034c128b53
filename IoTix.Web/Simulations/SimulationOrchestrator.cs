using IoTix.Core.Devices;
using IoTix.Core.Models;
using IoTix.Core.Strategies;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Simulations;

/// <summary>
/// The web side of simulations: drives the <see cref="SimulationEngine"/> for the API and the console and keeps
/// what must survive a restart in the stores (API models, groups, single devices' desired state, runs). The
/// engine is the truth while the host runs; the stores are written through after each successful change (when the
/// database is unavailable the change still applies and a warning is logged). Changes are serialised; reads are
/// lock-free snapshots of the engine plus a small in-memory index of groups and devices.
/// </summary>
/// <remarks>
/// Model revisions (<see cref="ModelRevisions"/>): replacing a model (PUT, a file edit) changes the catalog only.
/// Devices keep the revision they were built from while they run; a group or single device picks up the catalog's
/// current revision when it next starts with none of its devices active (its devices are rebuilt, same ids, counters
/// from zero), and <see cref="RestartGroupAsync"/> stops a running group and starts it again to apply it now.
/// Starting a group that still has active devices starts its idle ones on the group's revision (a group never mixes
/// revisions). After a host restart every group and device is built from the current catalog.
/// </remarks>
public sealed partial class SimulationOrchestrator
{
    private readonly SimulationEngine _engine;
    private readonly IDeviceModelRegistry _models;
    private readonly DeviceModelValidator _validator;
    private readonly IApiModelStore _modelStore;
    private readonly IGroupStore _groupStore;
    private readonly IDeviceStateStore _deviceStore;
    private readonly IRunStore _runStore;
    private readonly TenantDirectory _tenants;
    private readonly IDeviceCredentialsProvider? _credentials;
    private readonly TimeProvider _time;
    private readonly SimulationHostOptions _options;
    private readonly ILogger<SimulationOrchestrator> _logger;
    private readonly SemaphoreSlim _changes = new(1, 1); // no wait handle is ever created: nothing to dispose
    private readonly Lock _indexLock = new();
    private readonly Dictionary<string, GroupEntry> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DeviceEntry> _devices = new(StringComparer.Ordinal);

    public SimulationOrchestrator(
        SimulationEngine engine,
        IDeviceModelRegistry models,
        DeviceModelValidator validator,
        IApiModelStore modelStore,
        IGroupStore groupStore,
        IDeviceStateStore deviceStore,
        IRunStore runStore,
        TenantDirectory tenants,
        TimeProvider time,
        IOptions<SimulationHostOptions> options,
        ILogger<SimulationOrchestrator> logger,
        IDeviceCredentialsProvider? credentials = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _engine = engine;
        _models = models;
        _validator = validator;
        _modelStore = modelStore;
        _groupStore = groupStore;
        _deviceStore = deviceStore;
        _runStore = runStore;
        _tenants = tenants;
        _credentials = credentials;
        _time = time;
        _options = options.Value;
        _logger = logger;
        StartedAt = time.GetUtcNow();
    }

    /// <summary>When the host started simulating.</summary>
    public DateTimeOffset StartedAt { get; private set; }

    /// <summary>The engine's run seed as <c>IoTix:Simulation:Seed</c> takes it.</summary>
    public long RunSeed => unchecked((long)_engine.RunSeed);

    public SimulationEngine Engine => _engine;

    /// <summary>The model catalog (files and API models).</summary>
    public IDeviceModelRegistry Models => _models;

    // ------------------------------------------------------------------ models

    /// <summary>Validates and adds a model; it must not exist yet.</summary>
    public async Task<SimulationResult<DeviceModel>> CreateModelAsync(string json, CancellationToken cancellationToken = default)
    {
        var validation = _validator.Validate(json);
        if (!validation.IsValid)
        {
            return Invalid(validation);
        }

        var id = validation.Model.Id;
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (TryGetModelSource(id, out var file))
            {
                return file is null
                    ? SimulationError.ForField(EngineErrorCode.AlreadyExists, "$.id", $"model '{id}' already exists; PUT /api/v1/models/{id} replaces it")
                    : ReadOnlyModel(id, file);
            }

            return await StoreModelAsync(validation.Model, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Validates and adds or replaces the API model <paramref name="id"/>; the value says whether it was created.</summary>
    public async Task<SimulationResult<(DeviceModel Model, bool Created)>> PutModelAsync(string id, string json, CancellationToken cancellationToken = default)
    {
        var validation = _validator.Validate(json);
        if (!validation.IsValid)
        {
            return Invalid(validation);
        }

        if (!string.Equals(validation.Model.Id, id, StringComparison.Ordinal))
        {
            return SimulationError.ForField(EngineErrorCode.InvalidArgument, "$.id", $"must be the id in the URL ('{id}'), was '{validation.Model.Id}'");
        }

        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var exists = TryGetModelSource(id, out var file);
            if (file is not null)
            {
                return ReadOnlyModel(id, file);
            }

            var stored = await StoreModelAsync(validation.Model, cancellationToken).ConfigureAwait(false);
            return stored.Succeeded ? SimulationResult<(DeviceModel, bool)>.Ok((stored.Value!, !exists)) : stored.Error!;
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Removes an API model that no group or device uses.</summary>
    public async Task<SimulationResult<string>> DeleteModelAsync(string id, CancellationToken cancellationToken = default)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!TryGetModelSource(id, out var file))
            {
                return new SimulationError(EngineErrorCode.NotFound, $"model '{id}' not found");
            }

            if (file is not null)
            {
                return new SimulationError(EngineErrorCode.InvalidState, ReadOnlyMessage(id, file));
            }

            var users = ModelUsers(id);
            if (users.Count > 0)
            {
                return new SimulationError(EngineErrorCode.InvalidState, $"model '{id}' is used by {string.Join(", ", users)}; delete those first");
            }

            if (!RemoveModel(id))
            {
                return new SimulationError(EngineErrorCode.NotFound, $"model '{id}' not found");
            }

            if (!await _modelStore.DeleteAsync(id, cancellationToken).ConfigureAwait(false))
            {
                LogNotPersisted(_logger, $"deletion of model '{id}'");
            }

            return SimulationResult<string>.Ok(id);
        }
        finally
        {
            _changes.Release();
        }
    }

    private async Task<SimulationResult<DeviceModel>> StoreModelAsync(DeviceModel model, CancellationToken cancellationToken)
    {
        var json = DeviceModelSerializer.Serialize(model, indented: false);
        var stored = AddModel(TenantScope.Current, json);
        if (!stored.IsValid)
        {
            // A model file with this id appeared meanwhile.
            return new SimulationError(EngineErrorCode.InvalidState, stored.Errors[0].Message, ToFieldErrors(stored.Errors));
        }

        if (!await _modelStore.SaveAsync(model.Id, json, cancellationToken).ConfigureAwait(false))
        {
            LogNotPersisted(_logger, $"model '{model.Id}'");
        }

        return SimulationResult<DeviceModel>.Ok(stored.Model);
    }

    /// <summary>The caller's groups and devices that use model <paramref name="modelId"/>.</summary>
    private List<string> ModelUsers(string modelId)
    {
        var users = new List<string>();
        var tenant = TenantScope.Current;
        lock (_indexLock)
        {
            foreach (var group in _groups.Values)
            {
                if (string.Equals(group.ModelId, modelId, StringComparison.Ordinal) && Owns(group.TenantId, tenant))
                {
                    users.Add($"group '{group.GroupId}'");
                }
            }

            foreach (var device in _devices.Values)
            {
                if (string.Equals(device.ModelId, modelId, StringComparison.Ordinal) && Owns(device.TenantId, tenant))
                {
                    users.Add($"device '{device.DeviceId}'");
                }
            }
        }

        return users;
    }

    private static SimulationError ReadOnlyModel(string id, string file) =>
        SimulationError.ForField(EngineErrorCode.InvalidState, "$.id", ReadOnlyMessage(id, file));

    private static string ReadOnlyMessage(string id, string file) =>
        $"model '{id}' is defined by the file {file} and is read-only through the API; edit or delete that file instead";

    private static SimulationError Invalid(ModelValidationResult validation) =>
        new(EngineErrorCode.InvalidArgument, $"the device model has {validation.Errors.Count} error(s)", ToFieldErrors(validation.Errors));

    private static Dictionary<string, string[]> ToFieldErrors(IReadOnlyList<ModelError> errors)
    {
        var byPath = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var error in errors)
        {
            if (!byPath.TryGetValue(error.Path, out var messages))
            {
                byPath[error.Path] = messages = [];
            }

            messages.Add(error.Message);
        }

        var result = new Dictionary<string, string[]>(byPath.Count, StringComparer.Ordinal);
        foreach (var (path, messages) in byPath)
        {
            result[path] = [.. messages];
        }

        return result;
    }

    // ------------------------------------------------------------------ groups

    /// <summary>Creates a group of devices (state created) and stores its specification.</summary>
    public async Task<SimulationResult<GroupView>> CreateGroupAsync(DeviceGroupSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!TryGetModel(spec.ModelId, out var model))
        {
            return SimulationError.ForField(EngineErrorCode.NotFound, "modelId", $"model '{spec.ModelId}' not found");
        }

        if (spec.GroupId is { } groupId && groupId.Contains('/', StringComparison.Ordinal))
        {
            return SimulationError.ForField(EngineErrorCode.InvalidArgument, "groupId", $"must not contain '/' (got '{groupId}')");
        }

        if (spec.IdPattern is { } pattern && pattern.Contains('/', StringComparison.Ordinal))
        {
            // Device ids are MQTT client ids and topic levels; '/' would also let ids reach into tenants' namespaces.
            return SimulationError.ForField(EngineErrorCode.InvalidArgument, "idPattern", $"must not contain '/' (got '{pattern}'): device ids are single topic levels");
        }

        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (await CheckQuotaAsync(1, spec.Count, cancellationToken).ConfigureAwait(false) is { } quota)
            {
                return quota;
            }

            var created = _engine.CreateGroup(model, GroupSpecOf(TenantScope.Current, model, spec));
            if (!created.Succeeded)
            {
                var fallback = created.Error!.Code switch
                {
                    EngineErrorCode.AlreadyExists => "groupId",
                    EngineErrorCode.LimitExceeded => "count",
                    EngineErrorCode.NoAdapter or EngineErrorCode.InvalidModel => "modelId",
                    _ => null,
                };
                return FromEngine(created.Error, fallback);
            }

            var info = created.Value!;
            var entry = new GroupEntry(LocalOf(info.GroupId), info.ModelId, info.Count, info.IdPattern, _time.GetUtcNow()) { TenantId = TenantScope.Current };
            lock (_indexLock)
            {
                _groups[entry.Key] = entry;
            }

            await SaveGroupAsync(entry, cancellationToken).ConfigureAwait(false);
            LogGroupCreated(_logger, entry.GroupId, entry.ModelId, entry.Count);
            return SimulationResult<GroupView>.Ok(View(entry)!);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Starts a group's devices on <paramref name="launch"/>'s timeline; returns at once with the plan.</summary>
    public async Task<SimulationResult<LaunchReceipt>> StartGroupAsync(string groupId, LaunchStrategy launch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(launch);
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await StartGroupCoreAsync(groupId, launch, resumed: false, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _changes.Release();
        }
    }

    private async Task<SimulationResult<LaunchReceipt>> StartGroupCoreAsync(string groupId, LaunchStrategy launch, bool resumed, CancellationToken cancellationToken)
    {
        var entry = FindGroup(groupId);
        if (entry is null)
        {
            return new SimulationError(EngineErrorCode.NotFound, $"group '{groupId}' not found");
        }

        if (!resumed && await CheckRateQuotaAsync(entry, cancellationToken).ConfigureAwait(false) is { } quota)
        {
            return quota;
        }

        var applied = ApplyLatestRevision(entry);
        if (!applied.Succeeded)
        {
            return applied.Error!;
        }

        var started = _engine.StartGroup(entry.Key, launch);
        if (!started.Succeeded)
        {
            return FromEngine(started.Error!);
        }

        var plan = started.Value! with { GroupId = entry.GroupId };
        var now = _time.GetUtcNow();
        if (entry.RunId is { } previous)
        {
            await EndRunAsync(entry, previous, RunEndReasons.Restarted, cancellationToken).ConfigureAwait(false);
        }

        var runId = await _runStore.StartAsync(
            new SimulationRun(0, groupId, now, launch, RunSeed, entry.Count, plan.DeviceCount, plan.Duration, resumed),
            cancellationToken).ConfigureAwait(false);
        lock (_indexLock)
        {
            entry.Launch = launch;
            entry.Running = true;
            entry.RunId = runId;
            entry.LaunchStartedAt = now;
            entry.PlannedDevices = plan.DeviceCount;
            entry.ExpectedDuration = plan.Duration;
        }

        await SaveGroupAsync(entry, cancellationToken).ConfigureAwait(false);
        LogGroupStarted(_logger, groupId, plan.DeviceCount, LaunchConfigJson.StrategyName(launch.Strategy), (long)plan.Duration.TotalMilliseconds, resumed);
        return SimulationResult<LaunchReceipt>.Ok(new LaunchReceipt(groupId, runId, launch, plan, now)
        {
            ModelRevision = EngineGroupRevision(entry.Key)?.Revision,
            UpdatedFromRevision = applied.Value,
        });
    }

    /// <summary>
    /// Stops a group (if it runs), waits (up to 10 s) for its devices to disconnect, and starts it again on
    /// <paramref name="launch"/> (default: its last launch): its devices pick up the model's current revision. The
    /// previous run ends as <c>restarted</c>.
    /// </summary>
    public async Task<SimulationResult<LaunchReceipt>> RestartGroupAsync(string groupId, LaunchStrategy? launch = null, CancellationToken cancellationToken = default)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var entry = FindGroup(groupId);
            if (entry is null)
            {
                return new SimulationError(EngineErrorCode.NotFound, $"group '{groupId}' not found");
            }

            var stopped = _engine.StopGroup(entry.Key);
            if (!stopped.Succeeded)
            {
                return FromEngine(stopped.Error!);
            }

            await WaitUntilDisconnectedAsync(entry.Key, cancellationToken).ConfigureAwait(false);
            LaunchStrategy chosen;
            lock (_indexLock)
            {
                chosen = launch ?? entry.Launch ?? LaunchStrategy.Immediate;
            }

            return await StartGroupCoreAsync(groupId, chosen, resumed: false, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Waits until no device of the group (engine key) is stopping (graceful disconnects done), polling, at most 10 s.</summary>
    private async Task WaitUntilDisconnectedAsync(string groupId, CancellationToken cancellationToken)
    {
        const int Seconds = 10;
        var deadline = _time.GetUtcNow().AddSeconds(Seconds);
        var stopping = 0;
        while (_engine.GetGroupStats(groupId) is { Succeeded: true } stats && (stopping = Count(stats.Value!, DeviceState.Stopping)) > 0)
        {
            if (_time.GetUtcNow() >= deadline)
            {
                LogRestartNotSettled(_logger, groupId, stopping, Seconds);
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The model revision a group's devices run and the catalog's current one; null for an unknown group.</summary>
    public ModelRevisionInfo? GroupModelRevision(string groupId) => EngineGroupRevision(KeyOf(groupId));

    private ModelRevisionInfo? EngineGroupRevision(string key) =>
        _engine.TryGetGroup(key, out var group) ? RevisionInfo(group.Model) : null;

    /// <summary>The model revision a device runs and the catalog's current one; null for an unknown device.</summary>
    public ModelRevisionInfo? DeviceModelRevision(string deviceId) =>
        _engine.TryGetDevice(KeyOf(deviceId), out var device) ? RevisionInfo(device.Model) : null;

    /// <summary>The caller's groups and single devices of <paramref name="modelId"/> that run an older revision than the catalog's.</summary>
    public IReadOnlyList<string> OutdatedUsers(string modelId)
    {
        var tenant = TenantScope.Current;
        List<GroupEntry> groups = [];
        List<DeviceEntry> singles = [];
        lock (_indexLock)
        {
            foreach (var entry in _groups.Values)
            {
                if (Owns(entry.TenantId, tenant))
                {
                    groups.Add(entry);
                }
            }

            foreach (var entry in _devices.Values)
            {
                if (Owns(entry.TenantId, tenant))
                {
                    singles.Add(entry);
                }
            }
        }

        var users = new List<string>();
        foreach (var entry in groups)
        {
            if (_engine.TryGetGroup(entry.Key, out var group) && string.Equals(group.Model.Id, modelId, StringComparison.Ordinal) && RevisionInfo(group.Model).Outdated)
            {
                users.Add($"group '{entry.GroupId}'");
            }
        }

        foreach (var entry in singles)
        {
            if (_engine.TryGetDevice(entry.Key, out var device) && string.Equals(device.Model.Id, modelId, StringComparison.Ordinal) && RevisionInfo(device.Model).Outdated)
            {
                users.Add($"device '{entry.DeviceId}'");
            }
        }

        return users;
    }

    private ModelRevisionInfo RevisionInfo(DeviceModel running)
    {
        var revision = ModelRevisions.Of(running);
        var latest = TryGetModel(running.Id, out var current) ? ModelRevisions.Of(current) : revision;
        return new ModelRevisionInfo(revision, running.Version, latest);
    }

    /// <summary>
    /// Rebuilds an idle group's devices (none active) from the catalog's current model when it changed since they were
    /// built; the value is the revision they ran before, or null when nothing changed. On failure the group keeps its
    /// revision.
    /// </summary>
    private SimulationResult<string?> ApplyLatestRevision(GroupEntry entry)
    {
        if (!_engine.TryGetGroup(entry.Key, out var group)
            || !TryGetModel(entry.TenantId, entry.ModelId, out var latest)
            || ReferenceEquals(latest, group.Model)
            || string.Equals(ModelRevisions.Of(latest), ModelRevisions.Of(group.Model), StringComparison.Ordinal)
            || !IsIdle(entry.Key))
        {
            return SimulationResult<string?>.Ok(null);
        }

        var previous = group.Model;
        var spec = new DeviceGroupSpec { ModelId = entry.ModelId, Count = entry.Count, GroupId = entry.GroupId, IdPattern = entry.IdPattern, EndpointOverride = group.EndpointOverride };
        var error = Rebuild(
            $"group '{entry.GroupId}'",
            previous,
            latest,
            () => _engine.DeleteGroup(entry.Key),
            model => _engine.CreateGroup(model, GroupSpecOf(entry.TenantId, model, spec)).Error);
        return error is null ? SimulationResult<string?>.Ok(ModelRevisions.Of(previous)) : error;
    }

    /// <summary>
    /// Replaces devices built from <paramref name="previous"/> by ones built from <paramref name="latest"/> (same ids);
    /// when that fails, builds them from <paramref name="previous"/> again and answers why, naming <c>modelId</c>.
    /// </summary>
    private SimulationError? Rebuild(string what, DeviceModel previous, DeviceModel latest, Action delete, Func<DeviceModel, EngineError?> create)
    {
        delete();
        var failure = create(latest);
        if (failure is null)
        {
            LogModelRevisionApplied(_logger, what, latest.Id, ModelRevisions.Of(latest), ModelRevisions.Of(previous));
            return null;
        }

        LogModelRevisionFailed(_logger, what, latest.Id, ModelRevisions.Of(latest), ModelRevisions.Of(previous), failure.ToString());
        if (create(previous) is { } restored)
        {
            LogRestoreFailed(_logger, what, restored.ToString());
        }

        return FromEngine(
            new EngineError(failure.Code, $"{what} could not be rebuilt from revision {ModelRevisions.Of(latest)} of model '{latest.Id}' (it keeps revision {ModelRevisions.Of(previous)}): {failure.Message}"),
            "modelId");
    }

    /// <summary>True when no device of the group (engine key) is active.</summary>
    private bool IsIdle(string groupId)
    {
        if (_engine.GetGroupStats(groupId) is not { Succeeded: true } stats)
        {
            return false;
        }

        var s = stats.Value!;
        return Count(s, DeviceState.Created) + Count(s, DeviceState.Stopped) + Count(s, DeviceState.Failed) == s.DeviceCount;
    }

    /// <summary>Stops a group (pending launches cancelled, graceful disconnects) and ends its run.</summary>
    public async Task<SimulationResult<int>> StopGroupAsync(string groupId, CancellationToken cancellationToken = default)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var entry = FindGroup(groupId);
            if (entry is null)
            {
                return new SimulationError(EngineErrorCode.NotFound, $"group '{groupId}' not found");
            }

            var counters = Counters(entry.Key);
            var stopped = _engine.StopGroup(entry.Key);
            if (!stopped.Succeeded)
            {
                return FromEngine(stopped.Error!);
            }

            if (entry.RunId is { } runId)
            {
                await EndRunAsync(runId, RunEndReasons.Stopped, counters, cancellationToken).ConfigureAwait(false);
            }

            lock (_indexLock)
            {
                entry.Running = false;
                entry.RunId = null;
            }

            await SaveGroupAsync(entry, cancellationToken).ConfigureAwait(false);
            return SimulationResult<int>.Ok(stopped.Value);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Drops running devices of a group on <paramref name="plan"/>'s timeline (transient: not stored).</summary>
    public SimulationResult<DropoutSchedule> Dropout(string groupId, DropoutPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (FindGroup(groupId) is not { } entry)
        {
            return new SimulationError(EngineErrorCode.NotFound, $"group '{groupId}' not found");
        }

        var result = _engine.Dropout(entry.Key, plan);
        if (!result.Succeeded)
        {
            return FromEngine(result.Error!);
        }

        var schedule = result.Value!;
        if (NamespaceOf(entry.TenantId).Length == 0)
        {
            return SimulationResult<DropoutSchedule>.Ok(schedule);
        }

        var devices = new PlannedDropout[schedule.Devices.Count];
        for (int i = 0; i < devices.Length; i++)
        {
            devices[i] = schedule.Devices[i] with { DeviceId = LocalOf(schedule.Devices[i].DeviceId) };
        }

        return SimulationResult<DropoutSchedule>.Ok(schedule with { GroupId = entry.GroupId, Devices = devices });
    }

    /// <summary>Deletes a group and its devices, ends its run and forgets it.</summary>
    public async Task<SimulationResult<int>> DeleteGroupAsync(string groupId, CancellationToken cancellationToken = default)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var entry = FindGroup(groupId);
            if (entry is null)
            {
                return new SimulationError(EngineErrorCode.NotFound, $"group '{groupId}' not found");
            }

            var counters = Counters(entry.Key);
            var deleted = _engine.DeleteGroup(entry.Key);
            if (!deleted.Succeeded)
            {
                return FromEngine(deleted.Error!);
            }

            if (entry.RunId is { } runId)
            {
                await EndRunAsync(runId, RunEndReasons.Deleted, counters, cancellationToken).ConfigureAwait(false);
            }

            List<DeviceEntry> added = [];
            lock (_indexLock)
            {
                _groups.Remove(entry.Key);
                foreach (var device in _devices.Values)
                {
                    if (device.GroupId == groupId && Owns(device.TenantId, entry.TenantId))
                    {
                        added.Add(device);
                    }
                }

                foreach (var device in added)
                {
                    _devices.Remove(device.Key);
                }
            }

            if (!await _groupStore.DeleteAsync(groupId, cancellationToken).ConfigureAwait(false))
            {
                LogNotPersisted(_logger, $"deletion of group '{groupId}'");
            }

            foreach (var device in added)
            {
                if (!await _deviceStore.DeleteAsync(device.DeviceId, cancellationToken).ConfigureAwait(false))
                {
                    LogNotPersisted(_logger, $"deletion of device '{device.DeviceId}'");
                }
            }

            return SimulationResult<int>.Ok(deleted.Value);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>The groups, in creation order.</summary>
    public IReadOnlyList<GroupView> ListGroups()
    {
        GroupEntry[] entries;
        lock (_indexLock)
        {
            var tenant = TenantScope.Current;
            var owned = new List<GroupEntry>(_groups.Count);
            foreach (var entry in _groups.Values)
            {
                if (Owns(entry.TenantId, tenant))
                {
                    owned.Add(entry);
                }
            }

            entries = [.. owned];
        }

        Array.Sort(entries, static (a, b) => a.CreatedAt != b.CreatedAt ? a.CreatedAt.CompareTo(b.CreatedAt) : string.CompareOrdinal(a.GroupId, b.GroupId));
        var views = new List<GroupView>(entries.Length);
        foreach (var entry in entries)
        {
            if (View(entry) is { } view)
            {
                views.Add(view);
            }
        }

        return views;
    }

    public GroupView? GetGroup(string groupId) => FindGroup(groupId) is { } entry ? View(entry) : null;

    /// <summary>The latest runs (of one group, or all), newest first; null when the database is unavailable.</summary>
    public Task<IReadOnlyList<SimulationRun>?> ListRunsAsync(string? groupId, int limit, CancellationToken cancellationToken = default) =>
        _runStore.ListAsync(groupId, limit, cancellationToken);

    private GroupEntry? FindGroup(string groupId)
    {
        lock (_indexLock)
        {
            return _groups.TryGetValue(KeyOf(groupId), out var entry) && Owns(entry.TenantId, TenantScope.Current) ? entry : null;
        }
    }

    private GroupView? View(GroupEntry entry)
    {
        var stats = _engine.GetGroupStats(entry.Key);
        if (!stats.Succeeded)
        {
            return null;
        }

        GroupStats s = stats.Value! with { GroupId = entry.GroupId };
        LaunchProgress? progress = null;
        lock (_indexLock)
        {
            if (entry.LaunchStartedAt is { } startedAt)
            {
                int pending = entry.Running ? Count(s, DeviceState.Created) + Count(s, DeviceState.Stopped) : 0;
                int starting = Count(s, DeviceState.Starting);
                progress = new LaunchProgress(
                    entry.RunId,
                    startedAt,
                    entry.ExpectedDuration,
                    entry.PlannedDevices,
                    Math.Max(0, entry.PlannedDevices - pending),
                    pending,
                    starting,
                    s.RunningDeviceCount,
                    Count(s, DeviceState.Failed),
                    Count(s, DeviceState.Dropped),
                    Count(s, DeviceState.Reconnecting),
                    pending == 0 && starting == 0);
            }

            return new GroupView(entry.GroupId, entry.ModelId, s.DeviceCount, entry.IdPattern, entry.CreatedAt, entry.Running, entry.Launch, s, progress)
            {
                ModelRevision = EngineGroupRevision(entry.Key),
            };
        }
    }

    private static int Count(GroupStats stats, DeviceState state) =>
        stats.DevicesByState.TryGetValue(DeviceLifecycle.Name(state), out var n) ? n : 0;

    /// <summary>The counters of a group (engine key) for its run record.</summary>
    private RunCounters Counters(string groupId)
    {
        var stats = _engine.GetGroupStats(groupId);
        return stats.Succeeded
            ? new RunCounters(stats.Value!.RunningDeviceCount, stats.Value.MessagesSent, stats.Value.MessagesFailed, stats.Value.BytesSent)
            : new RunCounters(0, 0, 0, 0);
    }

    private Task EndRunAsync(GroupEntry entry, long runId, string reason, CancellationToken cancellationToken) =>
        EndRunAsync(runId, reason, Counters(entry.Key), cancellationToken);

    private async Task EndRunAsync(long runId, string reason, RunCounters counters, CancellationToken cancellationToken)
    {
        if (!await _runStore.EndAsync(runId, _time.GetUtcNow(), reason, counters, cancellationToken).ConfigureAwait(false))
        {
            LogNotPersisted(_logger, $"end of run {runId}");
        }
    }

    private async Task SaveGroupAsync(GroupEntry entry, CancellationToken cancellationToken)
    {
        StoredGroup stored;
        lock (_indexLock)
        {
            stored = new StoredGroup(entry.GroupId, entry.ModelId, entry.Count, entry.IdPattern, entry.Launch, entry.Running, entry.CreatedAt, entry.TenantId);
        }

        if (!await _groupStore.SaveAsync(stored, cancellationToken).ConfigureAwait(false))
        {
            LogNotPersisted(_logger, $"group '{entry.GroupId}'");
        }
    }

    // ------------------------------------------------------------------ single devices

    /// <summary>Creates one device outside any group (state created) and stores it.</summary>
    public Task<SimulationResult<DeviceView>> CreateDeviceAsync(string modelId, string? deviceId, CancellationToken cancellationToken = default) =>
        CreateDeviceAsync(modelId, deviceId, groupId: null, endpoint: null, cancellationToken);

    /// <summary>
    /// Creates one device (state created) and stores it: on its own, or added to the existing group
    /// <paramref name="groupId"/> (it then follows the group), optionally with its own endpoint override.
    /// </summary>
    public async Task<SimulationResult<DeviceView>> CreateDeviceAsync(string modelId, string? deviceId, string? groupId, string? endpoint, CancellationToken cancellationToken = default)
    {
        if (!TryGetModel(modelId, out var model))
        {
            return SimulationError.ForField(EngineErrorCode.NotFound, "modelId", $"model '{modelId}' not found");
        }

        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (await CheckQuotaAsync(0, 1, cancellationToken).ConfigureAwait(false) is { } quota)
            {
                return quota;
            }

            if (groupId is not null && FindGroup(groupId) is null)
            {
                return SimulationError.ForField(EngineErrorCode.NotFound, "groupId", $"group '{groupId}' not found");
            }

            var created = _engine.CreateDevice(model, DeviceSpecOf(TenantScope.Current, model, deviceId, groupId, endpoint));
            if (!created.Succeeded)
            {
                var fallback = created.Error!.Code switch
                {
                    EngineErrorCode.AlreadyExists => "deviceId",
                    EngineErrorCode.NoAdapter or EngineErrorCode.InvalidModel => "modelId",
                    EngineErrorCode.NotFound or EngineErrorCode.InvalidArgument when groupId is not null && created.Error.Message.StartsWith("group ", StringComparison.Ordinal) => "groupId",
                    EngineErrorCode.InvalidArgument when endpoint is not null && created.Error.Message.StartsWith("endpoint ", StringComparison.Ordinal) => "endpoint",
                    _ => null,
                };
                return FromEngine(created.Error, fallback);
            }

            var metrics = Local(created.Value!);
            var entry = new DeviceEntry(metrics.DeviceId, metrics.ModelId, _time.GetUtcNow()) { GroupId = metrics.GroupId, Endpoint = endpoint, TenantId = TenantScope.Current };
            lock (_indexLock)
            {
                _devices[entry.Key] = entry;
            }

            await SaveDeviceAsync(entry, cancellationToken).ConfigureAwait(false);
            return SimulationResult<DeviceView>.Ok(new DeviceView(metrics, entry.GroupId is null ? false : null));
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Starts one device now; a single device's desired state becomes running.</summary>
    public Task<SimulationResult<DeviceView>> StartDeviceAsync(string deviceId, CancellationToken cancellationToken = default) =>
        ChangeDeviceAsync(deviceId, running: true, cancellationToken);

    /// <summary>Stops one device; a single device's desired state becomes stopped.</summary>
    public Task<SimulationResult<DeviceView>> StopDeviceAsync(string deviceId, CancellationToken cancellationToken = default) =>
        ChangeDeviceAsync(deviceId, running: false, cancellationToken);

    private async Task<SimulationResult<DeviceView>> ChangeDeviceAsync(string deviceId, bool running, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!IsDeviceVisible(KeyOf(deviceId)))
            {
                return new SimulationError(EngineErrorCode.NotFound, $"device '{deviceId}' not found");
            }

            if (running)
            {
                var applied = ApplyLatestRevision(deviceId);
                if (applied is not null)
                {
                    return applied;
                }
            }

            var key = KeyOf(deviceId);
            var result = running ? _engine.StartDevice(key) : _engine.StopDevice(key);
            if (!result.Succeeded)
            {
                return FromEngine(result.Error!);
            }

            DeviceEntry? entry;
            lock (_indexLock)
            {
                entry = _devices.GetValueOrDefault(key);
                if (entry is { GroupId: not null })
                {
                    entry = null; // a device added to a group follows the group's desired state
                }

                if (entry is not null)
                {
                    entry.DesiredRunning = running;
                }
            }

            if (entry is not null)
            {
                await SaveDeviceAsync(entry, cancellationToken).ConfigureAwait(false);
            }

            return GetDevice(deviceId) is { } view ? SimulationResult<DeviceView>.Ok(view) : new SimulationError(EngineErrorCode.NotFound, $"device '{deviceId}' not found");
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>
    /// Rebuilds an idle single device from the catalog's current model when it changed since the device was built
    /// (devices of a group follow their group); null when nothing was done, an error when the rebuild failed (the
    /// device then keeps its revision).
    /// </summary>
    private SimulationError? ApplyLatestRevision(string deviceId)
    {
        DeviceEntry? entry;
        var key = KeyOf(deviceId);
        lock (_indexLock)
        {
            entry = _devices.GetValueOrDefault(key);
        }

        if (entry is null
            || !_engine.TryGetDevice(key, out var device)
            || device.State is not (DeviceState.Created or DeviceState.Stopped or DeviceState.Failed)
            || !TryGetModel(entry.TenantId, entry.ModelId, out var latest)
            || ReferenceEquals(latest, device.Model)
            || string.Equals(ModelRevisions.Of(latest), ModelRevisions.Of(device.Model), StringComparison.Ordinal))
        {
            return null;
        }

        return Rebuild(
            $"device '{deviceId}'",
            device.Model,
            latest,
            () => _engine.DeleteDevice(key),
            model => _engine.CreateDevice(model, DeviceSpecOf(entry.TenantId, model, deviceId, null, entry.Endpoint)).Error);
    }

    /// <summary>Deletes a single device; devices of a group go with their group.</summary>
    public async Task<SimulationResult<string>> DeleteDeviceAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!IsDeviceVisible(KeyOf(deviceId)))
            {
                return new SimulationError(EngineErrorCode.NotFound, $"device '{deviceId}' not found");
            }

            var key = KeyOf(deviceId);
            if (TryGetDeviceMetrics(deviceId, out var metrics) && metrics.GroupId is { } groupId)
            {
                return new SimulationError(EngineErrorCode.InvalidState, $"device '{deviceId}' belongs to group '{groupId}'; devices of a group are deleted with it (DELETE /api/v1/groups/{groupId})");
            }

            var deleted = _engine.DeleteDevice(key);
            if (!deleted.Succeeded)
            {
                return FromEngine(deleted.Error!);
            }

            lock (_indexLock)
            {
                _devices.Remove(key);
            }

            if (!await _deviceStore.DeleteAsync(deviceId, cancellationToken).ConfigureAwait(false))
            {
                LogNotPersisted(_logger, $"deletion of device '{deviceId}'");
            }

            return SimulationResult<string>.Ok(deviceId);
        }
        finally
        {
            _changes.Release();
        }
    }

    public DeviceView? GetDevice(string deviceId)
    {
        if (!TryGetDeviceMetrics(deviceId, out var metrics))
        {
            return null;
        }

        return new DeviceView(metrics, DesiredRunning(deviceId)) { ModelRevision = DeviceModelRevision(deviceId) };
    }

    /// <summary>A single device's desired state; null for devices of a group.</summary>
    public bool? DesiredRunning(string deviceId)
    {
        lock (_indexLock)
        {
            return _devices.TryGetValue(KeyOf(deviceId), out var entry) && entry.GroupId is null ? entry.DesiredRunning : null;
        }
    }

    private async Task SaveDeviceAsync(DeviceEntry entry, CancellationToken cancellationToken)
    {
        StoredDevice stored;
        lock (_indexLock)
        {
            stored = new StoredDevice(entry.DeviceId, entry.ModelId, entry.DesiredRunning, entry.CreatedAt, entry.TenantId) { GroupId = entry.GroupId, Endpoint = entry.Endpoint };
        }

        if (!await _deviceStore.SaveAsync(stored, cancellationToken).ConfigureAwait(false))
        {
            LogNotPersisted(_logger, $"device '{entry.DeviceId}'");
        }
    }

    // ------------------------------------------------------------------ start-up and shutdown

    /// <summary>
    /// Brings back what was stored: API models into the catalog, groups and single devices into the engine, and
    /// (with <c>IoTix:Simulation:ResumeOnStart</c>) starts again those that were running. Runs left open by a
    /// process that did not stop cleanly are closed as interrupted. Items that cannot be restored are logged and
    /// kept in the stores.
    /// </summary>
    public async Task RestoreAsync(CancellationToken cancellationToken = default)
    {
        StartedAt = _time.GetUtcNow();
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int models = 0, groups = 0, devices = 0, resumed = 0;
            var resumedGroups = new HashSet<string>(StringComparer.Ordinal); // engine keys
            using var system = TenantScope.EnterSystem(); // every tenant's rows; each item then acts for its tenant
            foreach (var stored in await _modelStore.ListAsync(cancellationToken).ConfigureAwait(false) ?? [])
            {
                var result = AddModel(stored.TenantId, stored.Json);
                if (result.IsValid)
                {
                    models++;
                }
                else
                {
                    LogRestoreFailed(_logger, $"model '{stored.Id}'", string.Join("; ", result.Errors));
                }
            }

            await _runStore.EndOpenRunsAsync(StartedAt, RunEndReasons.Interrupted, cancellationToken).ConfigureAwait(false);
            foreach (var stored in await _groupStore.ListAsync(cancellationToken).ConfigureAwait(false) ?? [])
            {
                using var tenant = TenantScope.Enter(stored.TenantId);
                if (!TryGetModel(stored.ModelId, out var model))
                {
                    LogRestoreFailed(_logger, $"group '{stored.GroupId}'", $"model '{stored.ModelId}' not found");
                    continue;
                }

                var created = _engine.CreateGroup(model, GroupSpecOf(stored.TenantId, model, new DeviceGroupSpec { ModelId = stored.ModelId, Count = stored.Count, GroupId = stored.GroupId, IdPattern = stored.IdPattern }));
                if (!created.Succeeded)
                {
                    LogRestoreFailed(_logger, $"group '{stored.GroupId}'", created.Error!.ToString());
                    continue;
                }

                var entry = new GroupEntry(stored.GroupId, stored.ModelId, stored.Count, stored.IdPattern, stored.CreatedAt) { Launch = stored.Launch, TenantId = stored.TenantId };
                lock (_indexLock)
                {
                    _groups[entry.Key] = entry;
                }

                groups++;
                if (stored.Running && _options.ResumeOnStart)
                {
                    var started = await StartGroupCoreAsync(stored.GroupId, stored.Launch ?? LaunchStrategy.Immediate, resumed: true, cancellationToken).ConfigureAwait(false);
                    if (started.Succeeded)
                    {
                        resumed++;
                        resumedGroups.Add(entry.Key);
                    }
                    else
                    {
                        LogRestoreFailed(_logger, $"start of group '{stored.GroupId}'", started.Error!.ToString());
                    }
                }
            }

            foreach (var stored in await _deviceStore.ListAsync(cancellationToken).ConfigureAwait(false) ?? [])
            {
                using var tenant = TenantScope.Enter(stored.TenantId);
                if (!TryGetModel(stored.ModelId, out var model))
                {
                    LogRestoreFailed(_logger, $"device '{stored.DeviceId}'", $"model '{stored.ModelId}' not found");
                    continue;
                }

                var created = _engine.CreateDevice(model, DeviceSpecOf(stored.TenantId, model, stored.DeviceId, stored.GroupId, stored.Endpoint));
                if (!created.Succeeded)
                {
                    LogRestoreFailed(_logger, $"device '{stored.DeviceId}'", created.Error!.ToString());
                    continue;
                }

                // A device added to a group follows it: started when its group was resumed above.
                bool groupResumed = stored.GroupId is { } g && resumedGroups.Contains(KeyOf(g));
                var entry = new DeviceEntry(stored.DeviceId, stored.ModelId, stored.CreatedAt)
                {
                    GroupId = stored.GroupId,
                    Endpoint = stored.Endpoint,
                    DesiredRunning = (stored.GroupId is null ? stored.DesiredRunning : groupResumed) && _options.ResumeOnStart,
                    TenantId = stored.TenantId,
                };
                lock (_indexLock)
                {
                    _devices[entry.Key] = entry;
                }

                devices++;
                if (entry.DesiredRunning)
                {
                    var started = _engine.StartDevice(entry.Key);
                    if (started.Succeeded)
                    {
                        resumed++;
                    }
                    else
                    {
                        LogRestoreFailed(_logger, $"start of device '{stored.DeviceId}'", started.Error!.ToString());
                    }
                }
            }

            LogRestored(_logger, models, groups, devices, resumed, _options.ResumeOnStart);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Ends the open runs with their counters as the host stops; groups stay marked running so they resume.</summary>
    public async Task EndRunsAsync(CancellationToken cancellationToken = default)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            List<(string GroupId, long RunId, string TenantId)> open = [];
            lock (_indexLock)
            {
                foreach (var entry in _groups.Values)
                {
                    if (entry.RunId is { } runId)
                    {
                        open.Add((entry.Key, runId, entry.TenantId));
                        entry.RunId = null;
                    }
                }
            }

            foreach (var (groupId, runId, tenantId) in open)
            {
                using var tenant = TenantScope.Enter(tenantId);
                await EndRunAsync(runId, RunEndReasons.HostStopped, Counters(groupId), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _changes.Release();
        }
    }

    private sealed class GroupEntry(string groupId, string modelId, int count, string idPattern, DateTimeOffset createdAt)
    {
        private string? _key;

        public string GroupId { get; } = groupId;

        public string ModelId { get; } = modelId;

        public int Count { get; } = count;

        public string IdPattern { get; } = idPattern;

        public DateTimeOffset CreatedAt { get; } = createdAt;

        public string TenantId { get; init; } = Tenants.Default;

        /// <summary>The engine key: the tenant's namespace + <see cref="GroupId"/>.</summary>
        public string Key => _key ??= KeyOf(TenantId, GroupId);

        public LaunchStrategy? Launch { get; set; }

        public bool Running { get; set; }

        public long? RunId { get; set; }

        public DateTimeOffset? LaunchStartedAt { get; set; }

        public int PlannedDevices { get; set; }

        public TimeSpan ExpectedDuration { get; set; }
    }

    private sealed class DeviceEntry(string deviceId, string modelId, DateTimeOffset createdAt)
    {
        private string? _key;

        public string DeviceId { get; } = deviceId;

        public string ModelId { get; } = modelId;

        public DateTimeOffset CreatedAt { get; } = createdAt;

        public string TenantId { get; init; } = Tenants.Default;

        /// <summary>The engine key: the tenant's namespace + <see cref="DeviceId"/>.</summary>
        public string Key => _key ??= KeyOf(TenantId, DeviceId);

        public bool DesiredRunning { get; set; }

        /// <summary>The group the device was added to (it follows the group's desired state), or null.</summary>
        public string? GroupId { get; init; }

        /// <summary>The device's own endpoint override, or null.</summary>
        public string? Endpoint { get; init; }
    }
}
