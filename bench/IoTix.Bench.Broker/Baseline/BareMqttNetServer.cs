using System.Net;
using MQTTnet.Server;

namespace IoTix.Bench.Broker.Baseline;

/// <summary>
/// `IoTix.Bench.Broker serve-mqttnet PORT`: MQTTnet 5's server alone, with its own TCP endpoint and the session
/// settings the IoTix broker uses (persistent sessions, 10,000 pending messages per client, drop oldest), no hooks,
/// no logger. Run next to the IoTix broker it separates MQTTnet's own per-message cost from what IoTix adds.
/// </summary>
internal static class BareMqttNetServer
{
    public static async Task<int> RunAsync(int port)
    {
        var options = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointPort(port)
            .WithPersistentSessions(true)
            .WithMaxPendingMessagesPerClient(10_000)
            .WithPendingMessagesOverflowStrategy(MqttPendingMessagesOverflowStrategy.DropOldestQueuedMessage)
            .Build();
        using var server = new MqttServerFactory().CreateMqttServer(options);
        await server.StartAsync().ConfigureAwait(false);
        Console.WriteLine($"MQTTnet server listening on 127.0.0.1:{port}");
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        await server.StopAsync().ConfigureAwait(false);
        return 0;
    }
}
