using Microsoft.AspNetCore.Components;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>Dead letters: reason chips, filter, pages, re-publish and delete.</summary>
public sealed partial class BrokerDeadLetters
{
    [Inject]
    private DeadLettersViewModel Model { get; set; } = default!;

    protected override Task OnInitializedAsync() => Model.LoadAsync();
}
