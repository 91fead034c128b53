using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Components;

namespace IoTix.Web.Components.Pages.Models;

/// <summary>The visual model editor and the JSON code editor of one <see cref="ModelEditorViewModel"/>.</summary>
public sealed partial class ModelEditorPanel : IDisposable
{
    private static readonly string[] DeviceTypes = ["sensor", "gateway", "actuator", "custom"];
    private static readonly string[] Protocols = ["mqtt", "coap", "http"];
    private static readonly string[] DataTypes = ["number", "integer", "boolean", "string", "binary"];
    private static readonly string[] MqttVersions = ["5", "3.1.1"];
    private static readonly string[] Methods = ["POST", "PUT", "PATCH"];
    private static readonly string[] TriggerTypes = ["condition", "time", "command", "state"];
    private static readonly string[] ActionTypes =
        ["publish", "set", "setState", "disconnect", "fail", "recover", "stuck", "spike", "drift", "batteryDrain", "silence", "flap"];

    private ModelEditorViewModel? _subscribed;
    private int _tab;

    [Parameter, EditorRequired]
    public ModelEditorViewModel Vm { get; set; } = default!;

    /// <summary>File models: shown, validated and previewed, but not editable here.</summary>
    [Parameter]
    public bool ReadOnly { get; set; }

    [Parameter]
    public bool Dark { get; set; }

    /// <summary>Which tab is open (0 general, 1 connection, 2 telemetry, 3 commands, 4 behaviours).</summary>
    public int ActiveTab => _tab;

    private JsonObject? Root => Vm.Document;

    private string Protocol => ModelEditorViewModel.Str(Vm.Document, "protocol") ?? "mqtt";

    protected override void OnParametersSet()
    {
        if (!ReferenceEquals(_subscribed, Vm))
        {
            if (_subscribed is not null)
            {
                _subscribed.Changed -= OnChanged;
            }

            _subscribed = Vm;
            Vm.Changed += OnChanged;
        }
    }

    public void Dispose()
    {
        if (_subscribed is not null)
        {
            _subscribed.Changed -= OnChanged;
        }
    }

    /// <summary>Opens a tab (0 general, 1 connection, 2 telemetry, 3 commands, 4 behaviours).</summary>
    public Task ShowTabAsync(int tab) => InvokeAsync(() =>
    {
        _tab = tab;
        StateHasChanged();
    });

    // Changes come from this circuit's own events (form fields, the code editor), so one render per change.
    private void OnChanged() => _ = InvokeAsync(StateHasChanged);

    /// <summary>The number of errors under any of the paths, for a tab's badge (null: no badge).</summary>
    private object? Badge(params string[] paths)
    {
        var count = 0;
        foreach (var error in Vm.Errors)
        {
            foreach (var path in paths)
            {
                if (error.Path.StartsWith(path, StringComparison.Ordinal)
                    && (error.Path.Length == path.Length || error.Path[path.Length] is '.' or '['))
                {
                    count++;
                    break;
                }
            }
        }

        return count == 0 ? null : count;
    }

    private static List<string> CommandNames(JsonObject root)
    {
        var names = new List<string>();
        foreach (var command in root["commands"] as JsonArray ?? [])
        {
            if (ModelEditorViewModel.Str(command as JsonObject, "name") is { } name)
            {
                names.Add(name);
            }
        }

        return names;
    }
}
