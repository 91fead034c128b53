using System.Globalization;
using IoTix.Core.Devices;
using IoTix.Core.Generators;
using IoTix.Core.Models;
using IoTix.Core.Protocols;
using IoTix.Web.Simulations;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.Options;

namespace IoTix.Web.LiveMetrics;

/// <summary>
/// Looks into one simulated device: its state, counters and current telemetry values, and (for MQTT devices) the
/// payloads it publishes. The engine keeps no payloads, so an inspection subscribes to the device's topics on the
/// broker the device publishes to (resolved like the device's own connection: <c>IoTix:Simulation:BrokerHost</c>,
/// <c>BrokerPort</c>, host aliases) over an MQTT client, and keeps the last <see cref="LiveMetricsOptions.InspectorPayloads"/>
/// payloads of that device only, while the inspection lasts. Everything answers for the caller's tenant with its ids
/// (through the <see cref="SimulationOrchestrator"/>): another tenant's groups and devices do not exist here.
/// </summary>
public sealed class DeviceInspector(
    SimulationOrchestrator simulations,
    EndpointResolver endpoints,
    IOptions<LiveMetricsOptions> options,
    TimeProvider time,
    ILoggerFactory loggerFactory,
    IDeviceCredentialsProvider? credentials = null)
{
    private readonly LiveMetricsOptions _options = options.Value;

    /// <summary>Ids of the caller's groups, ordered.</summary>
    public IReadOnlyList<string> GroupIds()
    {
        var groups = simulations.ListGroups();
        var ids = new List<string>(groups.Count);
        foreach (var g in groups)
        {
            ids.Add(g.GroupId);
        }

        ids.Sort(StringComparer.Ordinal);
        return ids;
    }

    /// <summary>Up to <paramref name="max"/> device ids of a group containing <paramref name="search"/> (all when empty), in index order.</summary>
    public IReadOnlyList<string> FindDevices(string groupId, string? search, int max = 50)
    {
        var result = new List<string>();
        if (!simulations.TryGetEngineGroup(groupId, out var group))
        {
            return result;
        }

        foreach (var device in group.Devices)
        {
            if (string.IsNullOrEmpty(search) || device.LocalId.Contains(search, StringComparison.OrdinalIgnoreCase))
            {
                result.Add(device.LocalId);
                if (result.Count >= max)
                {
                    break;
                }
            }
        }

        return result;
    }

    /// <summary>The device's state, counters and current values now; false when there is no such device.</summary>
    public bool TryGetSnapshot(string deviceId, out DeviceSnapshot snapshot)
    {
        if (!simulations.TryGetEngineDevice(deviceId, out var device) || !simulations.TryGetMetrics(device, out var metrics))
        {
            snapshot = null!;
            return false;
        }

        var telemetry = device.Model.Telemetry;
        var current = device.CurrentValues;
        var values = new List<TelemetryReading>(telemetry.Count);
        for (int i = 0; i < telemetry.Count && i < current.Length; i++)
        {
            values.Add(new TelemetryReading(telemetry[i].Name, Format(current[i]), telemetry[i].Unit));
        }

        var stateNames = device.StateNames;
        var state = device.CurrentState;
        for (int i = 0; i < stateNames.Count && i < state.Length; i++)
        {
            values.Add(new TelemetryReading("state." + stateNames[i], Format(state[i]), null));
        }

        snapshot = new DeviceSnapshot(metrics, device.Model.Protocol, values);
        return true;
    }

    /// <summary>
    /// Starts inspecting a device: for an MQTT device, connects to its broker and subscribes to its topics. Failures are
    /// values: an unknown device fails; a broker that cannot be reached gives an inspection without payloads whose
    /// <see cref="DeviceInspection.PayloadError"/> says why.
    /// </summary>
    public async Task<InspectionResult> InspectAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        if (!simulations.TryGetEngineDevice(deviceId, out var device))
        {
            return new InspectionResult(null, $"device '{deviceId}' not found");
        }

        var inspection = new DeviceInspection(device.LocalId, _options, time, loggerFactory.CreateLogger<DeviceInspection>());
        if (device.Model.Protocol != DeviceProtocol.Mqtt)
        {
            inspection.SetPayloadError($"payloads are shown for MQTT devices; this device speaks {device.Model.Protocol.ToString().ToLowerInvariant()}");
            return new InspectionResult(inspection, null);
        }

        if (!endpoints.TryResolve(device.Model, null, out var endpoint, out var error))
        {
            inspection.SetPayloadError($"the device's broker address cannot be resolved: {error}");
            return new InspectionResult(inspection, null);
        }

        // On the hosted broker a model without credentials is inspected as the tenant's simulator identity, like its
        // devices connect; that identity takes client ids in the device's namespace only.
        var identity = credentials?.CredentialsFor(TenantScope.Current, device.Model, null);
        await inspection.ConnectAsync(endpoint, device.Model, Topics(device), identity, device.Namespace, cancellationToken).ConfigureAwait(false);
        return new InspectionResult(inspection, null);
    }

    /// <summary>The topics the device publishes telemetry to: the connection's topic and items' own topics, in its namespace.</summary>
    internal static IReadOnlyList<string> Topics(SimulatedDevice device)
    {
        var model = device.Model;
        var groupId = device.LocalGroupId;
        var topics = new List<string>
        {
            DeviceNamespace.Key(device.Namespace, ModelTemplate.Parse(model.Connection.TopicPattern ?? "devices/${deviceId}/telemetry").RenderForDevice(device.LocalId, device.Index, groupId)),
        };
        foreach (var item in model.Telemetry)
        {
            if (item.Topic is { } pattern && ModelTemplate.TryParse(pattern, out var template, out _))
            {
                var topic = DeviceNamespace.Key(device.Namespace, template.RenderForDevice(device.LocalId, device.Index, groupId));
                if (!topics.Contains(topic))
                {
                    topics.Add(topic);
                }
            }
        }

        return topics;
    }

    internal static string Format(in TelemetryValue value)
    {
        if (!value.HasValue)
        {
            return "-";
        }

        return value.Type switch
        {
            TelemetryDataType.Number => value.Number.ToString("0.###", CultureInfo.InvariantCulture),
            TelemetryDataType.Integer => value.Number.ToString("0", CultureInfo.InvariantCulture),
            TelemetryDataType.Boolean => value.Boolean ? "true" : "false",
            TelemetryDataType.Binary => $"{value.BinaryLength} bytes",
            _ => value.Text ?? "-",
        };
    }
}

/// <summary>The outcome of <see cref="DeviceInspector.InspectAsync"/>: an inspection, or the reason there is none.</summary>
public sealed record InspectionResult(DeviceInspection? Inspection, string? Error);

/// <summary>A device's state, counters and current values at one instant.</summary>
public sealed record DeviceSnapshot(DeviceMetrics Metrics, DeviceProtocol Protocol, IReadOnlyList<TelemetryReading> Values);

/// <summary>One current value of a device: a telemetry item (or a behaviour state variable, <c>state.name</c>).</summary>
public sealed record TelemetryReading(string Name, string Value, string? Unit);

/// <summary>A payload the inspected device published, as the broker delivered it.</summary>
public sealed record InspectedPayload(DateTimeOffset ReceivedAt, string Topic, int Bytes, string Text);
