using Microsoft.AspNetCore.Components;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>Retained messages with payload preview (pretty JSON) and delete with confirmation.</summary>
public sealed partial class BrokerRetained
{
    private bool _pretty = true;

    [Inject]
    private RetainedMessagesViewModel Model { get; set; } = default!;

    protected override Task OnInitializedAsync() => Model.LoadAsync();
}
