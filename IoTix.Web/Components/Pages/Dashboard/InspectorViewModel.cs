using IoTix.Core.Devices;
using IoTix.Web.LiveMetrics;
using MudBlazor;

namespace IoTix.Web.Components.Pages.Dashboard;

/// <summary>
/// State of the device inspector: the group and device picked, the device's snapshot, and the inspection that keeps
/// its recent payloads (only while a device is inspected). Dispose to end the inspection.
/// </summary>
public sealed class InspectorViewModel(DeviceInspector inspector) : IAsyncDisposable
{
    public string? GroupId { get; private set; }

    public string? DeviceId { get; private set; }

    public DeviceSnapshot? Snapshot { get; private set; }

    public DeviceInspection? Inspection { get; private set; }

    /// <summary>What went wrong last, in words (unknown device ...), or null.</summary>
    public string? Error { get; private set; }

    /// <summary>True while an inspection is being started (connect and subscribe).</summary>
    public bool Busy { get; private set; }

    public IReadOnlyList<InspectedPayload> Payloads => Inspection?.RecentPayloads() ?? [];

    public IReadOnlyList<string> GroupIds() => inspector.GroupIds();

    public IReadOnlyList<string> FindDevices(string? search) =>
        GroupId is null ? [] : inspector.FindDevices(GroupId, search);

    public async Task SelectGroupAsync(string? groupId)
    {
        if (groupId == GroupId)
        {
            return;
        }

        await StopAsync();
        GroupId = groupId;
    }

    /// <summary>Starts inspecting <paramref name="deviceId"/> (ends the previous inspection first).</summary>
    public async Task InspectAsync(string? deviceId, CancellationToken cancellationToken = default)
    {
        await StopAsync();
        if (string.IsNullOrWhiteSpace(deviceId))
        {
            return;
        }

        Busy = true;
        try
        {
            var result = await inspector.InspectAsync(deviceId, cancellationToken);
            if (result.Inspection is null)
            {
                Error = result.Error;
                return;
            }

            DeviceId = deviceId;
            Inspection = result.Inspection;
            RefreshSnapshot();
        }
        finally
        {
            Busy = false;
        }
    }

    /// <summary>Reads the device's state and values again (called on each live update).</summary>
    public void RefreshSnapshot()
    {
        if (DeviceId is null)
        {
            return;
        }

        if (inspector.TryGetSnapshot(DeviceId, out var snapshot))
        {
            Snapshot = snapshot;
            Error = null;
        }
        else
        {
            Snapshot = null;
            Error = $"device '{DeviceId}' no longer exists";
        }
    }

    public async Task StopAsync()
    {
        var inspection = Inspection;
        Inspection = null;
        DeviceId = null;
        Snapshot = null;
        Error = null;
        if (inspection is not null)
        {
            await inspection.DisposeAsync();
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    /// <summary>The chip colour of a device state.</summary>
    public static Color StateColor(DeviceState state) => state switch
    {
        DeviceState.Running => Color.Success,
        DeviceState.Starting or DeviceState.Reconnecting => Color.Info,
        DeviceState.Dropped => Color.Warning,
        DeviceState.Failed => Color.Error,
        DeviceState.Stopping or DeviceState.Stopped => Color.Default,
        _ => Color.Default,
    };
}
