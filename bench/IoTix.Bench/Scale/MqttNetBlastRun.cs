using System.Diagnostics;
using System.Globalization;
using System.Net;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IoTix.Bench.Scale;

/// <summary>
/// The throughput reference: a minimal MQTTnet 5 publisher, <paramref name="connections"/>
/// <c>IMqttClient</c>s each awaiting <c>PublishAsync</c> in a tight loop with one prebuilt message
/// (payload of the simulator's size) for a fixed time. The broker and a counting subscriber decide
/// what arrived; this reports what it sent and its own CPU.
/// </summary>
internal static class MqttNetBlastRun
{
    public static async Task<int> RunAsync(int connections, string host, int port, int qos, int payloadBytes, int seconds, string? resultFile, TextWriter output)
    {
        var factory = new MqttClientFactory();
        var clients = new IMqttClient[connections];
        for (int i = 0; i < connections; i++)
        {
            clients[i] = factory.CreateMqttClient();
            var options = new MqttClientOptionsBuilder()
                .WithEndPoint(new IPEndPoint(IPAddress.Parse(host), port))
                .WithClientId($"blast-{Environment.ProcessId}-{i}")
                .WithProtocolVersion(MqttProtocolVersion.V311)
                .WithKeepAlivePeriod(TimeSpan.FromSeconds(60))
                .Build();
            await clients[i].ConnectAsync(options);
        }

        // A payload shaped like the simulator's JSON, same length.
        var payload = new byte[payloadBytes];
        payload.AsSpan().Fill((byte)'x');
        var counts = new long[connections];
        output.WriteLine($"# mqttnet-blast: {connections} connections -> {host}:{port}, QoS {qos}, {payloadBytes}-byte payload, {seconds} s, load {ProcessProbe.LoadAverage()}");
        var window = new CpuWindow();
        var stop = Stopwatch.StartNew();
        var loops = new Task[connections];
        for (int i = 0; i < connections; i++)
        {
            int c = i;
            var message = new MqttApplicationMessageBuilder()
                .WithTopic($"devices/blast-{c}/telemetry")
                .WithPayload(payload)
                .WithQualityOfServiceLevel((MqttQualityOfServiceLevel)qos)
                .Build();
            loops[i] = Task.Run(async () =>
            {
                long n = 0;
                while (stop.ElapsedMilliseconds < seconds * 1000L)
                {
                    await clients[c].PublishAsync(message).ConfigureAwait(false);
                    n++;
                }

                counts[c] = n;
            });
        }

        await Task.WhenAll(loops);
        double wall = window.Seconds;
        double cpu = window.CpuSeconds;
        long total = 0;
        foreach (var n in counts)
        {
            total += n;
        }

        var result = new Dictionary<string, object?>
        {
            ["implementation"] = "mqttnet-publish-loop",
            ["connections"] = connections,
            ["qos"] = qos,
            ["payloadBytes"] = payloadBytes,
            ["seconds"] = Math.Round(wall, 2),
            ["published"] = total,
            ["messagesPerSecond"] = Math.Round(total / wall, 0),
            ["cpuPercentOfCore"] = Math.Round(100 * cpu / wall, 1),
            ["cpuMicrosecondsPerMessage"] = total == 0 ? null : Math.Round(1e6 * cpu / total, 2),
            ["loadAverageEnd"] = ProcessProbe.LoadAverage(),
        };
        ResultWriter.Write(result, resultFile, output);
        foreach (var client in clients)
        {
            try
            {
                await client.DisconnectAsync();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"disconnect: {ex.GetBaseException().Message}"));
            }

            client.Dispose();
        }

        return 0;
    }
}
