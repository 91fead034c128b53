using IoTix.Core.Devices;
using IoTix.Core.Strategies;
using IoTix.Web.Accounts;
using IoTix.Web.Simulations;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace IoTix.Web.Components.Pages.Groups;

/// <summary>
/// The groups page: create a group from a model, launch it on a strategy (with its ramp previewed, then watched),
/// stop, drop devices (timeline previewed first), delete, and the group's runs. Live through
/// <see cref="GroupsViewModel"/>'s timer (about two renders a second), released with the page.
/// </summary>
public sealed partial class Groups : IDisposable
{
    private static readonly LineChartOptions RampOptions = new() { ShowLegend = true, YAxisTicks = 4, LineStrokeWidth = 2 };

    private GroupsViewModel _vm = default!;
    private string? _modelId;
    private int _count = 10;
    private string? _groupId;
    private string? _idPattern;
    private SimulationError? _createFailure;
    private string? _createError;
    private bool _busy;
    private bool _interactive;
    private string? _selected;
    private IReadOnlyList<SimulationRun>? _runs = [];

    private bool _canRun;
    private bool _canChange;

    [CascadingParameter]
    private Task<AuthenticationState>? Authentication { get; set; }

    [Inject]
    private SimulationOrchestrator Simulations { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    [Inject]
    private IoTix.Web.Audit.ConsoleAudit Audit { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    protected override void OnInitialized()
    {
        _vm = new GroupsViewModel(Simulations, Time, audit: Audit);
        _vm.Changed += OnChanged;
        if (RendererInfo.IsInteractive)
        {
            _vm.Start();
        }
        else
        {
            _vm.Refresh();
        }
    }

    protected override async Task OnInitializedAsync()
    {
        _canRun = await ConsoleAccess.AllowsAsync(Authentication, Permissions.SimulationsRun);
        _canChange = await ConsoleAccess.AllowsAsync(Authentication, Permissions.SimulationsWrite);
    }

    public void Dispose()
    {
        _vm.Changed -= OnChanged;
        _vm.Dispose();
    }

    // The view model's timer is the throttle: at most one render per refresh (about 2/s).
    private void OnChanged() => _ = RenderAsync();

    private async Task RenderAsync()
    {
        try
        {
            await InvokeAsync(StateHasChanged);
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away between the tick and the render.
        }
    }

    private string? CreateError(string field) =>
        _createFailure?.Errors is { } errors && errors.TryGetValue(field, out var messages) ? string.Join("; ", messages) : null;

    private async Task CreateAsync()
    {
        if (string.IsNullOrEmpty(_modelId))
        {
            _createFailure = SimulationError.ForField(EngineErrorCode.InvalidArgument, "modelId", "modelId is required: choose a model");
            _createError = _createFailure.Message;
            return;
        }

        _busy = true;
        try
        {
            var spec = new DeviceGroupSpec
            {
                ModelId = _modelId,
                Count = _count,
                GroupId = string.IsNullOrWhiteSpace(_groupId) ? null : _groupId.Trim(),
                IdPattern = string.IsNullOrWhiteSpace(_idPattern) ? null : _idPattern.Trim(),
            };
            _createFailure = await _vm.CreateAsync(spec);
            _createError = _createFailure?.Message;
            if (_createFailure is null)
            {
                Snackbar.Add($"Created {_count} devices", Severity.Success);
                _groupId = null;
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task SelectAsync(string groupId)
    {
        _selected = groupId;
        _runs = await _vm.RunsAsync(groupId);
    }

    private async Task LaunchAsync(string groupId)
    {
        var group = _vm.Groups.FirstOrDefault(g => g.GroupId == groupId);
        if (group is null)
        {
            return;
        }

        var parameters = new DialogParameters<LaunchDialog> { { d => d.DeviceCount, group.Stats.DeviceCount - group.Stats.RunningDeviceCount } };
        var dialog = await Dialogs.ShowAsync<LaunchDialog>($"Launch {groupId}", parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        var result = await dialog.Result;
        if (result is null || result.Canceled || result.Data is not LaunchStrategy launch)
        {
            return;
        }

        _busy = true;
        try
        {
            var error = await _vm.LaunchAsync(groupId, launch);
            Report(error, $"Launching {groupId} ({launch.Strategy.ToString().ToLowerInvariant()})");
            await SelectAsync(groupId);
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task StopAsync(string groupId)
    {
        _busy = true;
        try
        {
            var result = await _vm.StopAsync(groupId);
            Report(result.Error, $"Stopped {result.Value} devices of {groupId}");
            if (_selected == groupId)
            {
                _runs = await _vm.RunsAsync(groupId);
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task RestartAsync(string groupId)
    {
        var group = _vm.Groups.FirstOrDefault(g => g.GroupId == groupId);
        if (group is null)
        {
            return;
        }

        var strategy = LaunchConfigJson.StrategyName((group.Launch ?? LaunchStrategy.Immediate).Strategy);
        var revision = group.ModelRevision is { Outdated: true } r
            ? $" They pick up the model's new revision {r.LatestRevision} (they run {r.Revision})."
            : string.Empty;
        await ConfirmThenAsync("Restart", $"Stop the {group.Stats.DeviceCount} devices of {groupId} and launch them again ({strategy}, its last launch)?{revision}", async () =>
        {
            var result = await _vm.RestartAsync(groupId);
            var applied = result.Value?.UpdatedFromRevision is { } from ? $", model revision {result.Value.ModelRevision} (was {from})" : string.Empty;
            Report(result.Error, $"Restarted {groupId}{applied}");
            await SelectAsync(groupId);
        });
    }

    /// <summary>Asks "{action} group", then runs <paramref name="action"/> with the busy bar shown.</summary>
    private async Task ConfirmThenAsync(string verb, string question, Func<Task> action)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync($"{verb} group", question, yesText: verb, cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        _busy = true;
        try
        {
            await action();
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task DropoutAsync(string groupId)
    {
        var group = _vm.Groups.FirstOrDefault(g => g.GroupId == groupId);
        if (group is null)
        {
            return;
        }

        var parameters = new DialogParameters<DropoutDialog>
        {
            { d => d.Eligible, group.Stats.RunningDeviceCount },
            { d => d.Seed, _vm.DropoutSeed(groupId) },
        };
        var dialog = await Dialogs.ShowAsync<DropoutDialog>($"Dropout in {groupId}", parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        var result = await dialog.Result;
        if (result is null || result.Canceled || result.Data is not DropoutPlan plan)
        {
            return;
        }

        var outcome = await _vm.DropoutAsync(groupId, plan);
        Report(outcome.Error, outcome.Succeeded ? $"Dropping {outcome.Value!.Devices.Count} of {outcome.Value.EligibleCount} running devices" : string.Empty);
    }

    private async Task DeleteAsync(string groupId)
    {
        var group = _vm.Groups.FirstOrDefault(g => g.GroupId == groupId);
        await ConfirmThenAsync("Delete", $"Delete {groupId} and its {group?.Stats.DeviceCount ?? 0} devices? Running devices are stopped first.", async () =>
        {
            var result = await _vm.DeleteAsync(groupId);
            Report(result.Error, $"Deleted {groupId}");
            if (_selected == groupId)
            {
                _selected = null;
            }
        });
    }

    private void Report(SimulationError? error, string success)
    {
        if (error is null)
        {
            Snackbar.Add(success, Severity.Success);
        }
        else
        {
            Snackbar.Add(error.Message, Severity.Error);
        }
    }

    private static List<ChartSeries<double>> RampSeries(RampView ramp) =>
    [
        new() { Name = "planned", Data = new ChartData<double>(ramp.PlannedDevices) },
        new() { Name = "running", Data = new ChartData<double>(ramp.RunningDevices) },
    ];

    private static string RampSummary(RampView ramp)
    {
        var strategy = LaunchConfigJson.StrategyName(ramp.Strategy);
        var run = ramp.RunId is { } id ? $"Run {id} ({strategy}), started {ramp.StartedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture)}: " : $"Launch ({strategy}): ";
        var planned = $"{ramp.Planned} planned over {StrategyTimeline.FormatMs(ramp.PlannedDurationMs)}";
        if (ramp.EndReason is { } reason)
        {
            return $"{run}{planned}; ended ({reason}) with {ramp.RunningAtEnd ?? 0} running";
        }

        if (ramp.Stored)
        {
            return $"{run}{planned}";
        }

        return $"{run}{ramp.Running} running of {planned}" + (ramp.Complete ? " (launch complete)" : " (launching)");
    }

    private static string[] RampLabels(RampView ramp)
    {
        var labels = new string[ramp.AtMs.Count];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = i % 8 == 0 || i == labels.Length - 1 ? StrategyTimeline.FormatMs(ramp.AtMs[i]) : string.Empty;
        }

        return labels;
    }

    /// <summary>Marks the page interactive (the circuit is up) for end-to-end tests, which must not click prerendered HTML.</summary>
    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender)
        {
            _interactive = true;
            StateHasChanged();
        }
    }
}
