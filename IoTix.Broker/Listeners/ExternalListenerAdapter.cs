using System.Net;
using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Server;

namespace IoTix.Broker.Listeners;

/// <summary>Puts a host-provided transport (<see cref="BrokerTransport"/>) behind the <see cref="ConnectionGate"/>.</summary>
internal sealed class ExternalListenerAdapter(BrokerTransport transport, ConnectionGate gate) : IMqttServerAdapter
{
    public Func<IMqttChannelAdapter, Task>? ClientHandler { get; set; }

    public Task StartAsync(MqttServerOptions options, IMqttNetLogger logger)
    {
        transport.Adapter.ClientHandler = HandleAsync;
        return transport.Adapter.StartAsync(options, logger);
    }

    public Task StopAsync() => transport.Adapter.StopAsync();

    public void Dispose() => transport.Adapter.Dispose();

    private async Task HandleAsync(IMqttChannelAdapter inner)
    {
        var handler = ClientHandler;
        if (handler is null)
        {
            return;
        }

        if (inner.RemoteEndPoint is IPEndPoint remote && !await gate.AdmitAsync(transport.Name, remote.Address, CancellationToken.None).ConfigureAwait(false))
        {
            return;
        }

        using var adapter = gate.Wrap(transport.Name, inner, channel: null, ownsInner: false);
        await handler(adapter).ConfigureAwait(false);
    }
}
