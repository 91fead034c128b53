using Microsoft.AspNetCore.Components.Server.Circuits;

namespace IoTix.Web.Audit;

/// <summary>
/// Where a console circuit's browser connects from: the remote IP of the circuit's connection, captured when the circuit
/// starts (the circuit's later activity has no request of its own). Audit entries of the console (sign-in, console
/// changes) record it as "from where".
/// </summary>
public sealed class ConsoleConnection
{
    /// <summary>The remote IP address, or null outside a circuit (tests, background work).</summary>
    public string? RemoteIp { get; internal set; }
}

/// <summary>Captures <see cref="ConsoleConnection.RemoteIp"/> from the circuit's connection when it opens or reconnects.</summary>
internal sealed class ConsoleConnectionCircuitHandler(ConsoleConnection connection, IHttpContextAccessor accessor) : CircuitHandler
{
    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        Capture();
        return Task.CompletedTask;
    }

    public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        Capture();
        return Task.CompletedTask;
    }

    private void Capture()
    {
        if (accessor.HttpContext?.Connection.RemoteIpAddress is { } address)
        {
            connection.RemoteIp = (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
        }
    }
}
