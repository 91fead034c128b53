using IoTix.Web.Accounts;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>Dead letters: reason chips, filter, pages, re-publish and delete.</summary>
public sealed partial class BrokerDeadLetters
{
    private bool _canWrite;

    [CascadingParameter]
    private Task<AuthenticationState>? Authentication { get; set; }

    [Inject]
    private DeadLettersViewModel Model { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _canWrite = await ConsoleAccess.AllowsAsync(Authentication, Permissions.HistoryReplay);
        Model.TenantId = await ConsoleAccess.TenantAsync(Authentication);
        await Model.LoadAsync();
    }
}
