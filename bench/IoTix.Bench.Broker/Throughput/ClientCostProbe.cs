using System.Diagnostics;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IoTix.Bench.Broker.Throughput;

internal sealed record ClientCost(string Broker, string Client, int Rate, long Sent, long Received, double AchievedRate, double BenchCpuUsPerMessage);

/// <summary>
/// Why the load generator does not use MQTTnet's client for the throughput phases: the same QoS 0 stream (one
/// publisher, one subscriber) sent with MQTTnet 5 clients, with the generator's own CPU per message measured.
/// </summary>
internal sealed class ClientCostProbe
{
    private long _received;

    public async Task<ClientCost> MeasureAsync(BrokerTarget target, int rate, double seconds, int payloadBytes, CancellationToken cancellationToken = default)
    {
        var factory = new MqttClientFactory();
        using var subscriber = factory.CreateMqttClient();
        using var publisher = factory.CreateMqttClient();
        var topic = $"bench/mqttnet/{Environment.ProcessId}";
        subscriber.ApplicationMessageReceivedAsync += _ =>
        {
            Interlocked.Increment(ref _received);
            return Task.CompletedTask;
        };
        await subscriber.ConnectAsync(Options(target, "bench-mqttnet-sub"), cancellationToken).ConfigureAwait(false);
        await subscriber.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtMostOnce, cancellationToken).ConfigureAwait(false);
        await publisher.ConnectAsync(Options(target, "bench-mqttnet-pub"), cancellationToken).ConfigureAwait(false);

        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(new byte[payloadBytes]).Build();
        var total = (long)(rate * seconds);
        var benchBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var start = Stopwatch.GetTimestamp();
        long sent = 0;
        while (sent < total && Stopwatch.GetElapsedTime(start).TotalSeconds < seconds * 1.5)
        {
            var due = Math.Min(total, (long)(rate * Stopwatch.GetElapsedTime(start).TotalSeconds) + 1) - sent;
            if (due <= 0)
            {
                await Task.Delay(1, cancellationToken).ConfigureAwait(false);
                continue;
            }

            for (var i = 0; i < due; i++)
            {
                await publisher.PublishAsync(message, cancellationToken).ConfigureAwait(false);
            }

            sent += due;
        }

        var sendSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var drainUntil = Stopwatch.GetTimestamp() + 3 * Stopwatch.Frequency;
        while (Interlocked.Read(ref _received) < sent && Stopwatch.GetTimestamp() < drainUntil)
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }

        var benchMs = (Process.GetCurrentProcess().TotalProcessorTime - benchBefore).TotalMilliseconds;
        var received = Interlocked.Read(ref _received);
        await publisher.DisconnectAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await subscriber.DisconnectAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var result = new ClientCost(target.Name, "MQTTnet 5", rate, sent, received, sent / sendSeconds, received == 0 ? 0 : benchMs * 1000 / received);
        Console.WriteLine($"  {target.Name,-9} MQTTnet client qos0 {rate}/s: sent {sent} at {result.AchievedRate:F0}/s, received {received}, generator {result.BenchCpuUsPerMessage:F2} us/msg");
        return result;
    }

    private static MqttClientOptions Options(BrokerTarget target, string clientId) => new MqttClientOptionsBuilder()
        .WithTcpServer(target.Tcp.Address.ToString(), target.Tcp.Port)
        .WithClientId(clientId)
        .WithProtocolVersion(MqttProtocolVersion.V311)
        .Build();
}
