using IoTix.Core.Models;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace IoTix.Web.Components.Pages;

/// <summary>The home page: the loaded device models and the model files that failed to load; live on catalog changes.</summary>
public sealed partial class Home : IDisposable
{
    private string? _search;

    [Inject]
    private IDeviceModelRegistry Catalog { get; set; } = default!;

    private IReadOnlyList<DeviceModel> Models => Catalog.Models;

    private IReadOnlyList<ModelLoadProblem> Problems => Catalog.Problems;

    protected override void OnInitialized() => Catalog.Changed += OnCatalogChanged;

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

    private bool Matches(DeviceModel model)
    {
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
