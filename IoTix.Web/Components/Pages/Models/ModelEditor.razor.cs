using System.Text;
using IoTix.Core.Generators;
using IoTix.Core.Models;
using IoTix.Web.Simulations;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace IoTix.Web.Components.Pages.Models;

/// <summary>
/// A model's page: the visual editor beside the JSON, validated live, saved through the orchestrator (the API's
/// path: validated again and persisted in the model store). File models are read-only and can be saved as a copy.
/// </summary>
public sealed partial class ModelEditor : IDisposable
{
    internal const string NewModelJson = """
        {
          "id": "my-sensor-v1",
          "name": "My sensor",
          "version": "1.0.0",
          "type": "sensor",
          "protocol": "mqtt",
          "connection": { "topicPattern": "devices/${deviceId}/telemetry", "qos": 0 },
          "telemetry": [
            { "name": "temperature", "type": "number", "unit": "celsius", "intervalMs": 5000,
              "generator": { "type": "random", "distribution": "normal", "mean": 21, "stddev": 1.5, "min": 10, "max": 35 } }
          ]
        }
        """;

    private ModelEditorViewModel? _vm;
    private string? _source;
    private string? _file;
    private bool _readOnly;
    private bool _notFound;
    private bool _saving;
    private bool _interactive;
    private string? _saveError;
    private string? _outdatedNotice;

    [Parameter]
    public string? ModelId { get; set; }

    /// <summary>The layout's theme: the code editor follows it (vs-dark / vs), live when toggled.</summary>
    [CascadingParameter(Name = IoTix.Web.Components.Layout.ConsoleTheme.DarkMode)]
    public bool Dark { get; set; }

    [Inject]
    private SimulationOrchestrator Simulations { get; set; } = default!;

    [Inject]
    private DeviceModelValidator Validator { get; set; } = default!;

    [Inject]
    private TelemetryGeneratorFactory Generators { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private IoTix.Web.Audit.ConsoleAudit Audit { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    private bool IsNew => ModelId is null;

    public void Dispose() => Use(null);

    /// <summary>Follows a new view model (the save buttons depend on its validity).</summary>
    private void Use(ModelEditorViewModel? vm)
    {
        if (_vm is not null)
        {
            _vm.Changed -= OnModelChanged;
        }

        _vm = vm;
        if (vm is not null)
        {
            vm.Changed += OnModelChanged;
        }
    }

    // Changes come from this circuit's own events (the form, the code editor).
    private void OnModelChanged() => _ = InvokeAsync(StateHasChanged);

    protected override void OnParametersSet()
    {
        _notFound = false;
        _saveError = null;
        _file = null;
        if (IsNew)
        {
            _source = "new";
            _readOnly = false;
            Use(new ModelEditorViewModel(Validator, Generators, NewModelJson));
            return;
        }

        if (!Simulations.TryGetModel(ModelId!, out var model) || !Simulations.TryGetModelSource(ModelId!, out var file))
        {
            _notFound = true;
            Use(null);
            return;
        }

        _readOnly = file is not null;
        _file = file;
        _source = file is null ? "api" : "file (read-only)";
        Use(new ModelEditorViewModel(Validator, Generators, file is null ? DeviceModelSerializer.Serialize(model) : ReadFile(file, model), file is null ? null : Path.GetDirectoryName(file)));
    }

    /// <summary>A file model's own text (comments and layout kept), or its serialized form when the file cannot be read now.</summary>
    private static string ReadFile(string file, DeviceModel model)
    {
        try
        {
            return File.ReadAllText(file, Encoding.UTF8);
        }
        catch (IOException)
        {
            return DeviceModelSerializer.Serialize(model);
        }
        catch (UnauthorizedAccessException)
        {
            return DeviceModelSerializer.Serialize(model);
        }
    }

    private async Task SaveAsync()
    {
        if (_vm?.Model is not { } model)
        {
            return;
        }

        await RunSaveAsync(IsNew || !string.Equals(model.Id, ModelId, StringComparison.Ordinal) ? "model.create" : "model.replace", model.Id, async () =>
        {
            // A new model, or an API model whose id was changed, is created; otherwise the API model is replaced.
            if (IsNew || !string.Equals(model.Id, ModelId, StringComparison.Ordinal))
            {
                var created = await Simulations.CreateModelAsync(_vm.Json);
                return created.Succeeded ? created.Value!.Id : Describe(created.Error!);
            }

            var replaced = await Simulations.PutModelAsync(ModelId!, _vm.Json);
            return replaced.Succeeded ? replaced.Value.Model.Id : Describe(replaced.Error!);
        });
    }

    private async Task SaveAsCopyAsync()
    {
        if (_vm?.Model is not { } model)
        {
            return;
        }

        var id = $"{model.Id}-copy";
        for (var n = 2; Simulations.TryGetModel(id, out _); n++)
        {
            id = $"{model.Id}-copy-{n}";
        }

        var json = _vm.JsonWithId(id);
        await RunSaveAsync("model.create", id, async () =>
        {
            var created = await Simulations.CreateModelAsync(json);
            return created.Succeeded ? created.Value!.Id : Describe(created.Error!);
        });
    }

    /// <summary>Runs a save and audits it as <paramref name="what"/>; the delegate answers the saved id, or an error text starting with "!".</summary>
    private async Task RunSaveAsync(string what, string modelId, Func<Task<string>> save)
    {
        _saving = true;
        _saveError = null;
        try
        {
            var outcome = await save();
            await Audit.RecordAsync(what, modelId, outcome.StartsWith('!') ? outcome[1..] : null);
            if (outcome.StartsWith('!'))
            {
                _saveError = outcome[1..];
                return;
            }

            Snackbar.Add($"Saved model '{outcome}'", Severity.Success);
            _outdatedNotice = OutdatedNotice(outcome);
            if (!string.Equals(outcome, ModelId, StringComparison.Ordinal))
            {
                Navigation.NavigateTo($"/models/{Uri.EscapeDataString(outcome)}");
            }
        }
        finally
        {
            _saving = false;
        }
    }

    /// <summary>The loaded model's revision, "1.0.0 (3fa2b1c0)"; null for a new or missing model.</summary>
    private string? Revision => ModelId is { } id && Simulations.TryGetModel(id, out var model) ? ModelRevisions.Describe(model) : null;

    /// <summary>After a save: which groups and devices still run an older revision of the model, in words; null when none.</summary>
    private string? OutdatedNotice(string modelId)
    {
        var users = Simulations.OutdatedUsers(modelId);
        if (users.Count == 0 || !Simulations.TryGetModel(modelId, out var model))
        {
            return null;
        }

        var shown = users.Count <= 5 ? string.Join(", ", users) : $"{string.Join(", ", users.Take(5))} and {users.Count - 5} more";
        return $"{shown} still run an older revision of this model. They pick up revision {ModelRevisions.Of(model)} when they next start; restart them on the Groups page to apply it now.";
    }

    private static string Describe(SimulationError error)
    {
        var text = new StringBuilder("!Not saved: ").Append(error.Message);
        if (error.Errors is { Count: > 0 } errors)
        {
            foreach (var (path, messages) in errors)
            {
                text.Append(" | ").Append(path).Append(": ").Append(string.Join("; ", messages));
            }
        }

        return text.ToString();
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
