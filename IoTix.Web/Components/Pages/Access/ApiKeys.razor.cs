using IoTix.Web.Accounts;
using IoTix.Web.Audit;
using Microsoft.AspNetCore.Components;

namespace IoTix.Web.Components.Pages.Access;

/// <summary>The API keys page (apikeys.manage): create a key with a role and expiry (shown once), revoke.</summary>
public sealed partial class ApiKeys : IoTix.Web.Components.Pages.Access.AccessPage
{
    private ApiKeysViewModel _vm = default!;
    private string? _name;
    private string _role = TenantRoles.Viewer;
    private DateTime? _expires;
    private string? _error;

    [Inject]
    private ApiKeyService Keys { get; set; } = default!;

    [Inject]
    private IAuditLog Audit { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _vm = new ApiKeysViewModel(Keys, Audit, await UserAsync());
        await _vm.LoadAsync();
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
