using MQTTnet.AspNetCore;

namespace IoTix.Web.Broker;

/// <summary>Accepts MQTT over WebSocket (sub-protocol "mqtt") on /mqtt and hands it to the broker (FR-009/FR-010).</summary>
internal sealed class BrokerWebSocketTransport(MqttWebSocketServerAdapter adapter)
{
    public async Task AcceptAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("MQTT over WebSocket: connect with a WebSocket client (sub-protocol mqtt).", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var subProtocol = MqttSubProtocolSelector.SelectSubProtocol(context.Request);
        using var webSocket = await context.WebSockets.AcceptWebSocketAsync(subProtocol).ConfigureAwait(false);
        await adapter.RunWebSocketConnectionAsync(webSocket, context).ConfigureAwait(false);
    }
}
