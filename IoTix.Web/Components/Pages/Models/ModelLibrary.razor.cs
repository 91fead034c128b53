using IoTix.Core.Models;
using IoTix.Web.Simulations;
using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace IoTix.Web.Components.Pages.Models;

/// <summary>The model library (also the home page): the loaded device models with search and filters, and the model files that failed to load; live on catalog changes.</summary>
public sealed partial class ModelLibrary : IDisposable
{
    private string? _search;
    private DeviceType? _type;
    private DeviceProtocol? _protocol;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private IDeviceModelRegistry Catalog { get; set; } = default!;

    /// <summary>The signed-in user's tenant, captured once: catalog events arrive from other callers' flows.</summary>
    private string _tenant = Tenants.Default;

    [Inject]
    private SimulationOrchestrator Simulations { get; set; } = default!;

    private IReadOnlyList<DeviceModel> Models => Simulations.VisibleModels(_tenant);

    private IReadOnlyList<ModelLoadProblem> Problems => Catalog.Problems;

    protected override void OnInitialized()
    {
        _tenant = TenantScope.Current;
        Catalog.Changed += OnCatalogChanged;
    }

    public void Dispose() => Catalog.Changed -= OnCatalogChanged;

    // The catalog debounces file events, so this fires at most a few times a second.
    private void OnCatalogChanged(object? sender, EventArgs e) => _ = RefreshAsync();

    private async Task RefreshAsync()
    {
        try
        {
            await InvokeAsync(StateHasChanged);
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away between the event and the render.
        }
        catch (Exception ex)
        {
            await DispatchExceptionAsync(ex);
        }
    }

    private void OpenModel(TableRowClickEventArgs<DeviceModel> row)
    {
        if (row.Item is { } model)
        {
            Navigation.NavigateTo($"/models/{Uri.EscapeDataString(model.Id)}");
        }
    }

    private bool IsFileModel(DeviceModel model) => Catalog.TryGetSourceFile(model.Id, out var file) && file is not null;

    private bool Matches(DeviceModel model)
    {
        if ((_type is { } type && model.Type != type) || (_protocol is { } protocol && model.Protocol != protocol))
        {
            return false;
        }

        var search = _search?.Trim();
        if (string.IsNullOrEmpty(search))
        {
            return true;
        }

        return model.Id.Contains(search, StringComparison.OrdinalIgnoreCase)
            || model.Name.Contains(search, StringComparison.OrdinalIgnoreCase)
            || (model.Description?.Contains(search, StringComparison.OrdinalIgnoreCase) ?? false)
            || Lower(model.Type).Contains(search, StringComparison.OrdinalIgnoreCase)
            || Lower(model.Protocol).Contains(search, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A note when a broken file's previous valid version is still loaded.</summary>
    private string KeptNote(ModelLoadProblem problem)
    {
        foreach (var model in Models)
        {
            if (Catalog.TryGetSourceFile(model.Id, out var file) && file == problem.File)
            {
                return $" (last good version of {model.Id} still loaded)";
            }
        }

        return string.Empty;
    }

    internal static Color ProtocolColor(DeviceProtocol protocol) => protocol switch
    {
        DeviceProtocol.Mqtt => Color.Primary,
        DeviceProtocol.Coap => Color.Secondary,
        DeviceProtocol.Http => Color.Info,
        _ => Color.Default,
    };

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}
