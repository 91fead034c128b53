using IoTix.Web.Audit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace IoTix.Web.Components.Pages.Access;

/// <summary>The audit log page (audit.read): filter by who, what and outcome; export CSV or JSON through the API.</summary>
public sealed partial class AuditLog
{
    private AuditViewModel _vm = default!;
    private bool _interactive;

    [CascadingParameter]
    private Task<AuthenticationState> Authentication { get; set; } = default!;

    [Inject]
    private IAuditLog Audit { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _vm = new AuditViewModel(Audit, (await Authentication).User);
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
}
