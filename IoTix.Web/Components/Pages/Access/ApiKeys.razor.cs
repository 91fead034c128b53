using IoTix.Web.Accounts;
using IoTix.Web.Audit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace IoTix.Web.Components.Pages.Access;

/// <summary>The API keys page (apikeys.manage): create a key with a role and expiry (shown once), revoke.</summary>
public sealed partial class ApiKeys
{
    private ApiKeysViewModel _vm = default!;
    private string? _name;
    private string _role = TenantRoles.Viewer;
    private DateTime? _expires;
    private string? _error;
    private bool _interactive;

    [CascadingParameter]
    private Task<AuthenticationState> Authentication { get; set; } = default!;

    [Inject]
    private ApiKeyService Keys { get; set; } = default!;

    [Inject]
    private IAuditLog Audit { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _vm = new ApiKeysViewModel(Keys, Audit, (await Authentication).User);
        await _vm.LoadAsync();
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender && RendererInfo.IsInteractive)
        {
            _interactive = true;
            StateHasChanged();
        }
    }

    private async Task CreateAsync()
    {
        DateTimeOffset? expires = _expires is { } day ? new DateTimeOffset(DateTime.SpecifyKind(day.Date.AddDays(1), DateTimeKind.Utc)) : null;
        _error = await _vm.CreateAsync(_name, _role, expires);
        if (_error is null)
        {
            _name = null;
        }
    }
}
