using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace IoTix.Web.Components.Pages.Settings;

/// <summary>Console settings (FR-014, FR-014a, FR-014b, FR-030): validated as typed, saved with feedback.</summary>
public sealed partial class SettingsPage
{
    [CascadingParameter]
    private Task<AuthenticationState>? Authentication { get; set; }

    [Inject]
    private SettingsViewModel Model { get; set; } = default!;

    private string? PayloadError => SettingsViewModel.ValidatePayload(Model.MaxPayloadBytes);

    private string? RateError => SettingsViewModel.ValidateRate(Model.ConnectionRatePerIpPerSecond);

    private string PayloadHelp => $"{Pages.Broker.RetainedMessagesViewModel.Size(Model.MaxPayloadBytes)}; larger PUBLISH packets are refused. Applies at once, to connected clients too";

    protected override async Task OnInitializedAsync()
    {
        Model.TenantId = await ConsoleAccess.TenantAsync(Authentication);
        await Model.LoadAsync();
    }

    private Task SaveAsync() => Model.SaveAsync();
}
