using Microsoft.AspNetCore.Components;

namespace IoTix.Web.Components.Pages.Settings;

/// <summary>Console settings (FR-014, FR-014a, FR-014b, FR-030): validated as typed, saved with feedback.</summary>
public sealed partial class SettingsPage
{
    [Inject]
    private SettingsViewModel Model { get; set; } = default!;

    private string? PayloadError => SettingsViewModel.ValidatePayload(Model.MaxPayloadBytes);

    private string? RateError => SettingsViewModel.ValidateRate(Model.ConnectionRatePerIpPerSecond);

    private string PayloadHelp => $"{Pages.Broker.RetainedMessagesViewModel.Size(Model.MaxPayloadBytes)}; larger PUBLISH packets are refused. Applies at once, to connected clients too";

    protected override Task OnInitializedAsync() => Model.LoadAsync();

    private Task SaveAsync() => Model.SaveAsync();
}
