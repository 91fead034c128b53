using Microsoft.AspNetCore.Components;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>Switches packet tracing on and off per topic filter and client id at run time.</summary>
public sealed partial class BrokerTrace
{
    [Inject]
    private BrokerTraceViewModel Model { get; set; } = default!;
}
