using IoTix.Web.Audit;
using Microsoft.AspNetCore.Components;

namespace IoTix.Web.Components.Pages.Access;

/// <summary>The audit log page (audit.read): filter by who, what and outcome; export CSV or JSON through the API.</summary>
public sealed partial class AuditLog : IoTix.Web.Components.Pages.Access.AccessPage
{
    private AuditViewModel _vm = default!;

    [Inject]
    private IAuditLog Audit { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _vm = new AuditViewModel(Audit, await UserAsync());
        await _vm.LoadAsync();
    }
}
