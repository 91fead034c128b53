using System.Diagnostics.CodeAnalysis;
using IoTix.Broker.Security;
using IoTix.Core.Devices;
using IoTix.Core.Models;
using IoTix.Core.Protocols;
using IoTix.Web.Tenancy;

namespace IoTix.Web.Simulations;

/// <summary>
/// Tenant isolation of the shared engine. Every group, single device and API model is owned by the tenant that made
/// it (<see cref="TenantScope.Current"/>); everything here answers for the caller's tenant only, so another tenant's
/// objects are "not found". Model files are shared read-only by every tenant.
/// </summary>
/// <remarks>
/// A non-default tenant's groups and devices live in the engine namespace <c>tenants/{tenant}/</c>
/// (<see cref="TenantTopics.PrefixOf"/>, <see cref="DeviceNamespace"/>): keyed there as namespace + id, so two tenants
/// may use the same ids, and their devices' MQTT client ids and topics carry the prefix. Callers pass and see bare
/// ids: ids are turned into keys on the way in (<see cref="KeyOf(string)"/>) and back on the way out
/// (<see cref="Local(DeviceMetrics)"/>). The default tenant has no namespace: its keys are its ids.
/// </remarks>
public sealed partial class SimulationOrchestrator
{
    /// <summary>API models of the non-default tenants, by engine key (namespace + model id); the default tenant's are in the catalog.</summary>
    private readonly Dictionary<string, DeviceModel> _tenantModels = new(StringComparer.Ordinal);

    /// <summary>True when the caller's tenant may see model <paramref name="modelId"/> (a model file, or its own API model).</summary>
    public bool IsModelVisible(string modelId) => TryGetModel(modelId, out _);

    /// <summary>
    /// The model <paramref name="modelId"/> as the caller's tenant sees it: its own API model, else a model file. The
    /// default tenant's API models live in the catalog (<see cref="Models"/>), other tenants' here, so two tenants may
    /// both have an API model of the same id.
    /// </summary>
    public bool TryGetModel(string modelId, [NotNullWhen(true)] out DeviceModel? model) => TryGetModel(TenantScope.Current, modelId, out model);

    private bool TryGetModel(string tenantId, string modelId, [NotNullWhen(true)] out DeviceModel? model)
    {
        var ns = NamespaceOf(tenantId);
        if (ns.Length == 0)
        {
            return _models.TryGet(modelId, out model);
        }

        lock (_indexLock)
        {
            if (_tenantModels.TryGetValue(ns + modelId, out model))
            {
                return true;
            }
        }

        if (_models.TryGetSourceFile(modelId, out var file) && file is not null)
        {
            return _models.TryGet(modelId, out model);
        }

        model = null;
        return false;
    }

    /// <summary>Whether the caller sees model <paramref name="modelId"/> and where it comes from: its file, or null for an API model.</summary>
    public bool TryGetModelSource(string modelId, out string? file)
    {
        var ns = CurrentNamespace;
        if (ns.Length > 0)
        {
            lock (_indexLock)
            {
                if (_tenantModels.ContainsKey(ns + modelId))
                {
                    file = null;
                    return true;
                }
            }

            return _models.TryGetSourceFile(modelId, out file) && file is not null;
        }

        return _models.TryGetSourceFile(modelId, out file);
    }

    /// <summary>Validates and adds or replaces an API model of <paramref name="tenantId"/> (never over a model file).</summary>
    private ModelValidationResult AddModel(string tenantId, string json)
    {
        var ns = NamespaceOf(tenantId);
        if (ns.Length == 0)
        {
            return _models.Upsert(json);
        }

        var result = _validator.Validate(json);
        if (!result.IsValid)
        {
            return result;
        }

        var model = result.Model;
        if (_models.TryGetSourceFile(model.Id, out var file) && file is not null)
        {
            return ModelValidationResult.Invalid(model.Id, null, [new ModelError(null, "$.id", ReadOnlyMessage(model.Id, file))]);
        }

        lock (_indexLock)
        {
            _tenantModels[ns + model.Id] = model;
        }

        return result;
    }

    /// <summary>Removes the caller's API model <paramref name="modelId"/>; false when it has none of that id.</summary>
    private bool RemoveModel(string modelId)
    {
        var ns = CurrentNamespace;
        if (ns.Length == 0)
        {
            return _models.Remove(modelId) == ModelRemoval.Removed;
        }

        lock (_indexLock)
        {
            return _tenantModels.Remove(ns + modelId);
        }
    }

    /// <summary>The models <paramref name="tenantId"/> sees (for pages that render on events raised by other callers).</summary>
    public IReadOnlyList<DeviceModel> VisibleModels(string tenantId)
    {
        using var scope = TenantScope.Enter(tenantId);
        return VisibleModels();
    }

    /// <summary>The models the caller's tenant sees: model files and its API models (the catalog's order, then its own by id).</summary>
    public IReadOnlyList<DeviceModel> VisibleModels()
    {
        var ns = CurrentNamespace;
        if (ns.Length == 0)
        {
            return [.. _models.Models];
        }

        var own = new List<DeviceModel>();
        lock (_indexLock)
        {
            foreach (var (key, model) in _tenantModels)
            {
                if (key.StartsWith(ns, StringComparison.Ordinal))
                {
                    own.Add(model);
                }
            }
        }

        own.Sort(static (a, b) => string.CompareOrdinal(a.Id, b.Id));
        var visible = new List<DeviceModel>();
        foreach (var model in _models.Models)
        {
            if (_models.TryGetSourceFile(model.Id, out var file) && file is not null && !own.Exists(m => m.Id == model.Id))
            {
                visible.Add(model);
            }
        }

        visible.AddRange(own);
        return visible;
    }

    /// <summary>The engine namespace of <paramref name="tenantId"/>: none for the default tenant, else <c>tenants/{tenant}/</c>.</summary>
    public static string NamespaceOf(string tenantId) => TenantKeys.PrefixOf(tenantId);

    private static string CurrentNamespace => NamespaceOf(TenantScope.Current);

    /// <summary>The engine key of the caller's id <paramref name="id"/>.</summary>
    private static string KeyOf(string id) => KeyOf(TenantScope.Current, id);

    private static string KeyOf(string tenantId, string id) => DeviceNamespace.Key(NamespaceOf(tenantId), id);

    /// <summary>The caller's id of the engine key <paramref name="key"/>.</summary>
    private static string LocalOf(string key) => DeviceNamespace.TryLocal(CurrentNamespace, key, out var local) ? local : key;

    /// <summary>Counters with the caller's ids (the engine's carry keys).</summary>
    private static DeviceMetrics Local(DeviceMetrics metrics) => CurrentNamespace.Length == 0
        ? metrics
        : metrics with { DeviceId = LocalOf(metrics.DeviceId), GroupId = metrics.GroupId is { } g ? LocalOf(g) : null };

    /// <summary>
    /// <paramref name="spec"/> as the engine builds it for <paramref name="tenantId"/> from <paramref name="model"/>: in
    /// the tenant's namespace, with the tenant's simulator identity when the devices connect to the hosted broker and
    /// the model has no identity of its own (<see cref="IDeviceCredentialsProvider"/>; credentials the spec names win).
    /// </summary>
    private DeviceGroupSpec GroupSpecOf(string tenantId, DeviceModel model, DeviceGroupSpec spec) => new()
    {
        ModelId = spec.ModelId,
        Count = spec.Count,
        GroupId = spec.GroupId,
        IdPattern = spec.IdPattern,
        EndpointOverride = spec.EndpointOverride,
        CredentialsOverride = spec.CredentialsOverride ?? _credentials?.CredentialsFor(tenantId, model, spec.EndpointOverride),
        IndexStart = spec.IndexStart,
        IndexStride = spec.IndexStride,
        Namespace = NamespaceOf(tenantId),
    };

    /// <summary>
    /// A single device's spec for <paramref name="tenantId"/>: in its namespace, with the simulator identity as for a group
    /// (<see cref="GroupSpecOf"/>). A device added to a group without an endpoint of its own connects where the group
    /// does and takes the group's credentials in the engine; one with its own endpoint is decided here, on the group's model.
    /// </summary>
    private DeviceSpec DeviceSpecOf(string tenantId, DeviceModel model, string? deviceId, string? groupId, string? endpoint)
    {
        ConnectionCredentials? credentials = null;
        if (groupId is null)
        {
            credentials = _credentials?.CredentialsFor(tenantId, model, endpoint);
        }
        else if (endpoint is not null)
        {
            var groupModel = _engine.TryGetGroup(KeyOf(tenantId, groupId), out var group) ? group.Model : model;
            credentials = _credentials?.CredentialsFor(tenantId, groupModel, endpoint);
        }

        return new DeviceSpec { DeviceId = deviceId, GroupId = groupId, EndpointOverride = endpoint, CredentialsOverride = credentials, Namespace = NamespaceOf(tenantId) };
    }

    /// <summary>An engine error as the caller sees it: quoted keys of its namespace become its ids.</summary>
    private static SimulationError FromEngine(EngineError error, string? fallbackField = null)
    {
        var ns = CurrentNamespace;
        var local = ns.Length == 0 ? error : new EngineError(error.Code, error.Message.Replace("'" + ns, "'", StringComparison.Ordinal));
        return SimulationError.FromEngine(local, fallbackField);
    }

    /// <summary>A device's counters when the caller's tenant owns it (through its group, or as a single device), with the caller's ids.</summary>
    public bool TryGetDeviceMetrics(string deviceId, out DeviceMetrics metrics)
    {
        if (_engine.TryGetDeviceMetrics(KeyOf(deviceId), out metrics!) && IsVisible(metrics))
        {
            metrics = Local(metrics);
            return true;
        }

        metrics = null!;
        return false;
    }

    /// <summary>The engine's device <paramref name="deviceId"/> (the caller's id) when the caller's tenant owns it.</summary>
    public bool TryGetEngineDevice(string deviceId, out SimulatedDevice device) =>
        _engine.TryGetDevice(KeyOf(deviceId), out device) && IsDeviceVisible(device.Id);

    /// <summary>The engine's group <paramref name="groupId"/> (the caller's id) when the caller's tenant owns it.</summary>
    public bool TryGetEngineGroup(string groupId, out DeviceGroup group)
    {
        if (FindGroup(groupId) is { } entry && _engine.TryGetGroup(entry.Key, out group))
        {
            return true;
        }

        group = null!;
        return false;
    }

    /// <summary>The counters of an engine device (from <see cref="TryGetEngineGroup"/>) with the caller's ids.</summary>
    public bool TryGetMetrics(SimulatedDevice device, out DeviceMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (_engine.TryGetDeviceMetrics(device.Id, out metrics!))
        {
            metrics = Local(metrics);
            return true;
        }

        return false;
    }

    /// <summary>The devices of the caller's group <paramref name="groupId"/> in index order (empty for an unknown group).</summary>
    public IReadOnlyList<DeviceMetrics> ListDevices(string groupId)
    {
        if (FindGroup(groupId) is not { } entry)
        {
            return [];
        }

        var devices = _engine.ListDevices(entry.Key);
        if (CurrentNamespace.Length == 0)
        {
            return devices;
        }

        var list = new List<DeviceMetrics>(devices.Count);
        foreach (var metrics in devices)
        {
            list.Add(Local(metrics));
        }

        return list;
    }

    /// <summary>The caller's tenant's devices (all its groups and single devices), with its ids.</summary>
    public IReadOnlyList<DeviceMetrics> ListDevices()
    {
        var (groups, devices, all) = Owned();
        var list = new List<DeviceMetrics>();
        foreach (var metrics in _engine.ListDevices())
        {
            if (all || (metrics.GroupId is { } g ? groups.Contains(g) : devices.Contains(metrics.DeviceId)))
            {
                list.Add(Local(metrics));
            }
        }

        return list;
    }

    /// <summary>The engine's counters restricted to the caller's tenant (engine-wide when it owns everything).</summary>
    public SimulationStats GetStats()
    {
        var stats = _engine.GetStats();
        var (groups, devices, all) = Owned();
        if (all)
        {
            return stats;
        }

        var byState = new Dictionary<string, int>(StringComparer.Ordinal);
        var visibleGroups = new List<GroupStats>();
        int deviceCount = 0, running = 0;
        long sent = 0, failed = 0, bytes = 0, commands = 0;
        foreach (var g in stats.Groups)
        {
            if (!groups.Contains(g.GroupId))
            {
                continue;
            }

            visibleGroups.Add(g with { GroupId = LocalOf(g.GroupId) });
            deviceCount += g.DeviceCount;
            running += g.RunningDeviceCount;
            sent += g.MessagesSent;
            failed += g.MessagesFailed;
            bytes += g.BytesSent;
            foreach (var (state, n) in g.DevicesByState)
            {
                byState[state] = byState.GetValueOrDefault(state) + n;
            }
        }

        foreach (var id in devices)
        {
            if (_engine.TryGetDeviceMetrics(id, out var m))
            {
                deviceCount++;
                running += m.State == DeviceState.Running ? 1 : 0;
                sent += m.MessagesSent;
                failed += m.MessagesFailed;
                bytes += m.BytesSent;
                commands += m.CommandsReceived;
                var state = DeviceLifecycle.Name(m.State);
                byState[state] = byState.GetValueOrDefault(state) + 1;
            }
        }

        return stats with
        {
            DeviceCount = deviceCount,
            RunningDeviceCount = running,
            MessagesSent = sent,
            MessagesFailed = failed,
            BytesSent = bytes,
            CommandsReceived = commands,
            CommandsDropped = 0,
            DevicesByState = byState,
            Groups = visibleGroups,
        };
    }

    private bool IsVisible(DeviceMetrics metrics)
    {
        var tenant = TenantScope.Current;
        lock (_indexLock)
        {
            if (metrics.GroupId is { } groupId)
            {
                return _groups.TryGetValue(groupId, out var group) && Owns(group.TenantId, tenant);
            }

            return _devices.TryGetValue(metrics.DeviceId, out var device) ? Owns(device.TenantId, tenant) : string.Equals(tenant, Tenants.Default, StringComparison.Ordinal);
        }
    }

    /// <summary>True when the caller's tenant owns the engine device <paramref name="key"/>.</summary>
    private bool IsDeviceVisible(string key) => _engine.TryGetDeviceMetrics(key, out var metrics) && IsVisible(metrics);

    /// <summary>The engine keys of the caller's groups and single devices; <c>All</c> when no other tenant owns anything.</summary>
    private (HashSet<string> Groups, HashSet<string> Devices, bool All) Owned()
    {
        var tenant = TenantScope.Current;
        var groups = new HashSet<string>(StringComparer.Ordinal);
        var devices = new HashSet<string>(StringComparer.Ordinal);
        var all = true;
        lock (_indexLock)
        {
            foreach (var entry in _groups.Values)
            {
                if (Owns(entry.TenantId, tenant))
                {
                    groups.Add(entry.Key);
                }
                else
                {
                    all = false;
                }
            }

            foreach (var entry in _devices.Values)
            {
                if (Owns(entry.TenantId, tenant))
                {
                    devices.Add(entry.Key);
                }
                else
                {
                    all = false;
                }
            }
        }

        return (groups, devices, all && string.Equals(tenant, Tenants.Default, StringComparison.Ordinal));
    }

    private static bool Owns(string owner, string tenant) => string.Equals(owner, tenant, StringComparison.Ordinal);

    /// <summary>Null when the caller's tenant may add <paramref name="groups"/> groups of <paramref name="devices"/> devices; else the quota error.</summary>
    private async Task<SimulationError?> CheckQuotaAsync(int groups, int devices, CancellationToken cancellationToken)
    {
        var tenant = TenantScope.Current;
        var quotas = await _tenants.QuotasAsync(tenant, cancellationToken).ConfigureAwait(false);
        int ownGroups = 0, ownDevices = 0;
        lock (_indexLock)
        {
            foreach (var entry in _groups.Values)
            {
                if (Owns(entry.TenantId, tenant))
                {
                    ownGroups++;
                    ownDevices += entry.Count;
                }
            }

            foreach (var entry in _devices.Values)
            {
                ownDevices += Owns(entry.TenantId, tenant) ? 1 : 0;
            }
        }

        if (groups > 0 && ownGroups + groups > quotas.MaxGroups)
        {
            return QuotaExceeded($"tenant '{tenant}' may have at most {quotas.MaxGroups} groups (quota maxGroups; it has {ownGroups})");
        }

        return ownDevices + devices > quotas.MaxDevices
            ? QuotaExceeded($"tenant '{tenant}' may have at most {quotas.MaxDevices} devices (quota maxDevices; it has {ownDevices}, this adds {devices})")
            : null;
    }

    /// <summary>Null when starting <paramref name="entry"/> keeps the tenant's planned telemetry rate within its quota.</summary>
    private async Task<SimulationError?> CheckRateQuotaAsync(GroupEntry entry, CancellationToken cancellationToken)
    {
        var tenant = entry.TenantId;
        var quotas = await _tenants.QuotasAsync(tenant, cancellationToken).ConfigureAwait(false);
        double rate = PlannedRate(entry);
        lock (_indexLock)
        {
            foreach (var other in _groups.Values)
            {
                if (other != entry && other.Running && Owns(other.TenantId, tenant))
                {
                    rate += PlannedRate(other);
                }
            }
        }

        return rate > quotas.MaxMessagesPerSecond
            ? QuotaExceeded($"tenant '{tenant}' may plan at most {quotas.MaxMessagesPerSecond} messages/s (quota maxMessagesPerSecond); running this group would plan {rate:0.#}/s")
            : null;
    }

    /// <summary>Telemetry messages per second the group's devices send when all run (count x sum of 1000/intervalMs).</summary>
    private double PlannedRate(GroupEntry entry)
    {
        if (!TryGetModel(entry.TenantId, entry.ModelId, out var model))
        {
            return 0;
        }

        double perDevice = 0;
        foreach (var telemetry in model.Telemetry)
        {
            perDevice += 1000.0 / Math.Max(1, telemetry.IntervalMs);
        }

        return perDevice * entry.Count;
    }

    private static SimulationError QuotaExceeded(string message) => SimulationError.ForField(EngineErrorCode.LimitExceeded, "quota", message);
}
