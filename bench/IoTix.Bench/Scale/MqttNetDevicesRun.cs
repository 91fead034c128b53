using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IoTix.Bench.Scale;

/// <summary>
/// The measured peer "naive MQTTnet client per device": N MQTTnet 5 <c>IMqttClient</c> connections
/// (MQTT 3.1.1, keep-alive 60 s, source addresses in rotation), each device publishing its JSON
/// telemetry (deviceId, timestamp, three numbers, serialized with <c>JsonSerializer</c>) every
/// interval from its own <c>System.Threading.Timer</c>, first fires spread over one interval.
/// Same report as <see cref="SimulatorRun"/>: connect rate, unexpected disconnects, RSS per device,
/// steady-state CPU, sent and acknowledged (a completed QoS 1 <c>PublishAsync</c>) messages.
/// </summary>
internal static class MqttNetDevicesRun
{
    public static async Task<int> RunAsync(
        int devices, int shard, string host, int port, int qos, int intervalMs, IReadOnlyList<string> localAddresses,
        int connectConcurrency, int holdSeconds, int warmSeconds, int sampleSeconds, string? resultFile, TextWriter output)
    {
        var factory = new MqttClientFactory();
        var broker = new IPEndPoint(IPAddress.Parse(host), port);
        var sources = new IPAddress[localAddresses.Count];
        for (int i = 0; i < sources.Length; i++)
        {
            sources[i] = IPAddress.Parse(localAddresses[i]);
        }

        var state = new PeerState();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        long rss0 = ProcessProbe.ResidentBytes();
        long heap0 = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"# mqttnet-devices shard {shard}: {devices:N0} IMqttClient -> {host}:{port}, QoS {qos}, every {intervalMs} ms, {connectConcurrency} connects in flight, sources [{string.Join(',', localAddresses)}], load {ProcessProbe.LoadAverage()}");

        var peers = new PeerDevice[devices];
        var launchCpu = new CpuWindow();
        var sw = Stopwatch.StartNew();
        using (var gate = new SemaphoreSlim(connectConcurrency))
        {
            var connects = new Task[devices];
            for (int i = 0; i < devices; i++)
            {
                await gate.WaitAsync();
                var builder = new MqttClientOptionsBuilder()
                    .WithEndPoint(broker);
                if (sources.Length > 0)
                {
                    var source = sources[i % sources.Length];
                    builder.WithTcpServer(o => o.LocalEndpoint = new IPEndPoint(source, 0));
                }

                var options = builder
                    .WithClientId($"m{shard}-{i}")
                    .WithProtocolVersion(MqttProtocolVersion.V311)
                    .WithKeepAlivePeriod(TimeSpan.FromSeconds(60))
                    .WithCleanSession(true)
                    .WithTimeout(TimeSpan.FromSeconds(30))
                    .Build();
                var peer = peers[i] = new PeerDevice(factory.CreateMqttClient(), $"m{shard}-{i}", i, qos, state);
                connects[i] = peer.ConnectAsync(options, gate);
            }

            await Task.WhenAll(connects);
        }

        double connectSeconds = sw.Elapsed.TotalSeconds;
        int connected = state.Connected;
        double launchCorePercent = launchCpu.CorePercent;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"connected {connected:N0}/{devices:N0} in {connectSeconds:F2} s ({connected / connectSeconds:N0}/s), connect failures {state.ConnectFailures} {state.FirstError}, launch CPU {launchCorePercent:F0} % of a core"));

        // Start publishing: first fires spread over one interval, then every interval.
        for (int i = 0; i < devices; i++)
        {
            peers[i].StartTimer(TimeSpan.FromMilliseconds((long)intervalMs * i / devices), TimeSpan.FromMilliseconds(intervalMs));
        }

        var hold = Stopwatch.StartNew();
        CpuWindow? window = null;
        long sent0 = 0;
        long nextSample = sampleSeconds;
        while (hold.Elapsed < TimeSpan.FromSeconds(holdSeconds))
        {
            await Task.Delay(200);
            if (window is null && hold.Elapsed >= TimeSpan.FromSeconds(warmSeconds))
            {
                window = new CpuWindow();
                sent0 = state.Sent;
            }

            if (hold.Elapsed.TotalSeconds >= nextSample)
            {
                nextSample += sampleSeconds;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"t={hold.Elapsed.TotalSeconds:F0}s connected {state.Connected - state.Disconnected:N0} sent {state.Sent:N0} acked {state.Acked:N0} failed {state.Failed:N0} disconnects {state.Disconnected} rss {ProcessProbe.ResidentBytes() / 1048576.0:F0} MB cpu {(window?.CorePercent ?? double.NaN):F1} % threads {ProcessProbe.Threads()} load {ProcessProbe.LoadAverage()}"));
            }
        }

        window ??= new CpuWindow();
        double windowSeconds = window.Seconds;
        double cpuPercent = window.CorePercent;
        double windowCpuSeconds = window.CpuSeconds;
        long windowMessages = state.Sent - sent0;
        long rssEnd = ProcessProbe.ResidentBytes();
        long heapEnd = GC.GetTotalMemory(forceFullCollection: true);
        int threads = ProcessProbe.Threads();
        long sentEnd = state.Sent, ackedEnd = state.Acked;
        int disconnects = state.Disconnected;

        foreach (var p in peers)
        {
            p.StopTimer();
        }

        await Task.Delay(2000);
        long sentFinal = state.Sent, ackedFinal = state.Acked;
        var result = new Dictionary<string, object?>
        {
            ["implementation"] = "mqttnet-client-per-device",
            ["protocol"] = "mqtt",
            ["shard"] = shard,
            ["devices"] = devices,
            ["qos"] = qos,
            ["intervalMs"] = intervalMs,
            ["connectConcurrency"] = connectConcurrency,
            ["connected"] = connected,
            ["connectSeconds"] = Math.Round(connectSeconds, 3),
            ["connectsPerSecond"] = Math.Round(connected / connectSeconds, 0),
            ["connectFailures"] = state.ConnectFailures,
            ["firstError"] = state.FirstError,
            ["launchCorePercent"] = Math.Round(launchCorePercent, 1),
            ["unexpectedTransitions"] = disconnects,
            ["windowSeconds"] = Math.Round(windowSeconds, 1),
            ["windowCpuSeconds"] = Math.Round(windowCpuSeconds, 2),
            ["cpuPercentOfCore"] = Math.Round(cpuPercent, 2),
            ["windowMessagesPublished"] = windowMessages,
            ["messagesPerSecond"] = Math.Round(windowMessages / windowSeconds, 1),
            ["cpuMicrosecondsPerMessage"] = windowMessages == 0 ? null : Math.Round(1e6 * windowCpuSeconds / windowMessages, 2),
            ["rssBaselineMB"] = Math.Round(rss0 / 1048576.0, 1),
            ["rssEndMB"] = Math.Round(rssEnd / 1048576.0, 1),
            ["rssPeakHwmMB"] = Math.Round(ProcessProbe.PeakResidentBytes() / 1048576.0, 1),
            ["rssPerDeviceKB"] = Math.Round((rssEnd - rss0) / 1024.0 / devices, 2),
            ["heapPerDeviceKB"] = Math.Round((heapEnd - heap0) / 1024.0 / devices, 2),
            ["threads"] = threads,
            ["publishedAtEnd"] = sentEnd,
            ["ackedAtEnd"] = ackedEnd,
            ["publishedFinal"] = sentFinal,
            ["ackedFinal"] = ackedFinal,
            ["failedFinal"] = state.Failed,
            ["loadAverageEnd"] = ProcessProbe.LoadAverage(),
        };
        ResultWriter.Write(result, resultFile, output);

        foreach (var p in peers)
        {
            await p.DisposeAsync();
        }

        return 0;
    }

    private sealed class PeerState
    {
        public int Connected;
        public int ConnectFailures;
        public int Disconnected;
        public long Sent;
        public long Acked;
        public long Failed;
        public volatile string? FirstError;
    }

    private sealed class PeerDevice(IMqttClient client, string id, int index, int qos, PeerState state) : IAsyncDisposable
    {
        private readonly Random _random = new(index);
        private readonly string _topic = $"devices/{id}/telemetry";
        private Timer? _timer;
        private volatile bool _stopped;

        public async Task ConnectAsync(MqttClientOptions options, SemaphoreSlim gate)
        {
            try
            {
                await client.ConnectAsync(options).ConfigureAwait(false);
                Interlocked.Increment(ref state.Connected);
                client.DisconnectedAsync += OnDisconnectedAsync;
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref state.ConnectFailures);
                state.FirstError ??= ex.GetBaseException().Message;
            }
            finally
            {
                gate.Release();
            }
        }

        private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
        {
            if (!_stopped)
            {
                Interlocked.Increment(ref state.Disconnected);
                state.FirstError ??= $"disconnected: {e.Reason} {e.Exception?.GetBaseException().Message}";
            }

            return Task.CompletedTask;
        }

        public void StartTimer(TimeSpan due, TimeSpan interval) => _timer = new Timer(_ => _ = PublishAsync(), null, due, interval);

        public void StopTimer() => _timer?.Dispose();

        private async Task PublishAsync()
        {
            if (!client.IsConnected)
            {
                Interlocked.Increment(ref state.Failed);
                return;
            }

            var payload = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["deviceId"] = id,
                ["timestamp"] = DateTimeOffset.UtcNow,
                ["temperature"] = 15 + (_random.NextDouble() * 20),
                ["humidity"] = 20 + (_random.NextDouble() * 70),
                ["pressure"] = 980 + (_random.NextDouble() * 60),
            });
            var message = new MqttApplicationMessageBuilder()
                .WithTopic(_topic)
                .WithPayload(payload)
                .WithQualityOfServiceLevel((MqttQualityOfServiceLevel)qos)
                .Build();
            Interlocked.Increment(ref state.Sent);
            try
            {
                await client.PublishAsync(message).ConfigureAwait(false);
                Interlocked.Increment(ref state.Acked);
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref state.Failed);
                state.FirstError ??= "publish: " + ex.GetBaseException().Message;
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stopped = true;
            _timer?.Dispose();
            try
            {
                if (client.IsConnected)
                {
                    await client.DisconnectAsync().ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // the benchmark is over; a failed DISCONNECT changes nothing measured
            }

            client.Dispose();
        }
    }
}
