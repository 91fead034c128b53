using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using IoTix.Core;
using IoTix.Core.Devices;
using IoTix.Core.Models;
using IoTix.Core.Protocols;
using IoTix.Core.Protocols.Coap;
using IoTix.Core.Protocols.Http;
using IoTix.Core.Protocols.Mqtt;
using IoTix.Core.Strategies;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IoTix.Bench.Scale;

/// <summary>What one simulator process runs: a protocol, a device count, a shard, a target, a hold.</summary>
internal sealed record SimulatorSettings(
    string Protocol,
    int Devices,
    int Shard,
    string Host,
    int Port,
    string? Url,
    string Method,
    int Qos,
    int IntervalMs,
    IReadOnlyList<string> LocalAddresses,
    string Launch,
    int ConnectTimeoutMs,
    int HoldSeconds,
    int WarmSeconds,
    int SampleSeconds,
    string? ResultFile);

/// <summary>
/// The IoTix engine with its real protocol adapter against a real server, driven the way the
/// <c>run</c> command will drive it: one group of N devices of a three-item environmental sensor
/// (same model and payload as the "Simulation core" benchmark), launched by a launch strategy, held
/// for a time, then stopped gracefully. Reports connect rate, unexpected disconnects, resident
/// memory per device, CPU in steady state and the message counters (engine, adapter, QoS 1 acks).
/// A shard index keeps device ids distinct across processes (<c>s{shard}-{index}</c>).
/// </summary>
internal static class SimulatorRun
{
    private const string ModelTemplate = """
        {
          "id": "scale-env", "name": "Scale environmental sensor", "type": "sensor", "protocol": "PROTOCOL",
          "connection": CONNECTION,
          "telemetry": [
            { "name": "temperature", "type": "number", "generator": { "type": "random", "min": 15, "max": 35, "distribution": "normal", "mean": 22, "stddev": 3 }, "intervalMs": INTERVAL },
            { "name": "humidity", "type": "number", "generator": { "type": "random", "min": 20, "max": 90 }, "intervalMs": INTERVAL },
            { "name": "pressure", "type": "number", "generator": { "type": "random", "min": 980, "max": 1040, "distribution": "normal", "mean": 1013.25, "stddev": 10 }, "intervalMs": INTERVAL }
          ]
        }
        """;

    public static async Task<int> RunAsync(SimulatorSettings s, TextWriter output)
    {
        var config = new Dictionary<string, string?>
        {
            ["IoTix:Simulation:Seed"] = "1",
            ["IoTix:Models:Watch"] = "false",
            ["IoTix:Simulation:HostAliases:mqtt-broker"] = "",
        };
        for (int i = 0; i < s.LocalAddresses.Count; i++)
        {
            config[$"IoTix:Simulation:Mqtt:LocalAddresses:{i}"] = s.LocalAddresses[i];
        }

        config["IoTix:Simulation:Mqtt:ConnectTimeoutMs"] = s.ConnectTimeoutMs.ToString(CultureInfo.InvariantCulture);
        if (s.Protocol == "http")
        {
            // One request in flight per device at most; allow enough pooled connections for a 10,000-device burst.
            config["IoTix:Simulation:Http:MaxConnectionsPerServer"] = "512";
            config["IoTix:Simulation:Http:MaxInFlightRequests"] = "1024";
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(config).Build();
        var services = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole(o => o.SingleLine = true))
            .AddIoTixCore(configuration);
        await using var provider = services.BuildServiceProvider();
        var engine = provider.GetRequiredService<SimulationEngine>();
        var adapters = provider.GetServices<IProtocolAdapter>();
        IProtocolAdapter? adapter = null;
        foreach (var a in adapters)
        {
            if (a.Protocol == s.Protocol)
            {
                adapter = a;
            }
        }

        if (adapter is null)
        {
            throw new InvalidOperationException($"no adapter for {s.Protocol}");
        }

        var modelJson = ModelTemplate
            .Replace("PROTOCOL", s.Protocol, StringComparison.Ordinal)
            .Replace("CONNECTION", Connection(s), StringComparison.Ordinal)
            .Replace("INTERVAL", s.IntervalMs.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var validation = provider.GetRequiredService<DeviceModelValidator>().Validate(modelJson, "scale-env.json", null);
        var model = validation.Model ?? throw new InvalidOperationException(string.Join("; ", validation.Errors));

        // Counted from the engine's state events: how many reached running, and every unexpected transition.
        var counts = new TransitionCounts { Devices = s.Devices };
        engine.DeviceStateChanged += counts.OnChanged;
        engine.Start();

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        long rss0 = ProcessProbe.ResidentBytes();
        long heap0 = GC.GetTotalMemory(forceFullCollection: true);
        string group = $"s{s.Shard}";
        var created = engine.CreateGroup(model, new DeviceGroupSpec
        {
            ModelId = model.Id,
            Count = s.Devices,
            GroupId = group,
            IdPattern = $"s{s.Shard}-${{index}}",
            EndpointOverride = s.Protocol == "mqtt" ? $"{s.Host}:{s.Port}" : null,
        });
        if (!created.Succeeded)
        {
            throw new InvalidOperationException(created.ToString());
        }

        var launch = ParseLaunch(s.Launch);
        output.WriteLine($"# sim {s.Protocol} shard {s.Shard}: {s.Devices:N0} devices -> {(s.Protocol == "mqtt" ? $"{s.Host}:{s.Port}" : s.Url)}, QoS {s.Qos}, every {s.IntervalMs} ms, launch {s.Launch}, sources [{string.Join(',', s.LocalAddresses)}], load {ProcessProbe.LoadAverage()}");
        var launchCpu = new CpuWindow();
        var started = engine.StartGroup(group, launch);
        if (!started.Succeeded)
        {
            throw new InvalidOperationException(started.ToString());
        }

        // Connect phase: until every device is running (or the bound passes).
        var sw = Stopwatch.StartNew();
        counts.Start = Stopwatch.GetTimestamp();
        double firstHalf = -1;
        var connectBound = TimeSpan.FromSeconds(Math.Max(60, (launch.DelayMs * (double)s.Devices / Math.Max(1, launch.BatchSize) / 1000) + 60));
        while (counts.ReachedRunning + counts.FailedAtStart < s.Devices && sw.Elapsed < connectBound)
        {
            if (firstHalf < 0 && counts.ReachedRunning >= s.Devices / 2)
            {
                firstHalf = sw.Elapsed.TotalSeconds;
            }

            await Task.Delay(20);
        }

        int connected = counts.ReachedRunning;
        // Launch start -> the last device reaching running; and the time by which 99 % were running.
        double connectSeconds = counts.SecondsToLastRunning;
        double seconds99 = counts.SecondsTo99;
        double launchCorePercent = launchCpu.CorePercent;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"connected {connected:N0}/{s.Devices:N0} in {connectSeconds:F2} s ({connected / connectSeconds:N0}/s; half by {firstHalf:F2} s, 99 % by {seconds99:F2} s), failed at start {counts.FailedAtStart}, connect failures {adapter.GetMetrics().ConnectFailures}, launch CPU {launchCorePercent:F0} % of a core"));

        string? failureReasons = null;
        if (counts.FailedAtStart > 0)
        {
            var reasons = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var d in engine.ListDevices(group))
            {
                if (d.State == DeviceState.Failed)
                {
                    string reason = d.LastError ?? "?";
                    reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
                }
            }

            failureReasons = string.Join("; ", reasons.OrderByDescending(kv => kv.Value).Take(5).Select(kv => $"{kv.Value} x {kv.Key}"));
            output.WriteLine("failed at start: " + failureReasons);
        }

        // Hold: warm-up (first publishes of every device spread over one interval), then the measured window.
        var hold = Stopwatch.StartNew();
        var warmEnd = TimeSpan.FromSeconds(s.WarmSeconds);
        CpuWindow? window = null;
        long sent0 = 0, published0 = 0, delivered0 = 0;
        long nextSample = s.SampleSeconds;
        long rssMax = 0;
        while (hold.Elapsed < TimeSpan.FromSeconds(s.HoldSeconds))
        {
            await Task.Delay(200);
            if (window is null && hold.Elapsed >= warmEnd)
            {
                window = new CpuWindow();
                sent0 = engine.GetStats().MessagesSent;
                published0 = adapter.GetMetrics().MessagesPublished;
                delivered0 = Delivered(adapter, engine, group);
            }

            if (hold.Elapsed.TotalSeconds >= nextSample)
            {
                nextSample += s.SampleSeconds;
                var st = engine.GetStats();
                var m = adapter.GetMetrics();
                long rss = ProcessProbe.ResidentBytes();
                rssMax = Math.Max(rssMax, rss);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"t={hold.Elapsed.TotalSeconds:F0}s running {st.RunningDeviceCount:N0} sent {st.MessagesSent:N0} failed {st.MessagesFailed:N0} published {m.MessagesPublished:N0} dropped {m.MessagesDropped:N0} unexpected {counts.Unexpected} rss {rss / 1048576.0:F0} MB cpu {(window?.CorePercent ?? double.NaN):F1} % threads {ProcessProbe.Threads()} fds {ProcessProbe.OpenFiles()} load {ProcessProbe.LoadAverage()}"));
            }
        }

        window ??= new CpuWindow();
        var end = engine.GetStats();
        var endMetrics = adapter.GetMetrics();
        double windowSeconds = window.Seconds;
        double cpuPercent = window.CorePercent;
        double windowCpuSeconds = window.CpuSeconds;
        long windowMessages = endMetrics.MessagesPublished - published0;
        long windowSent = end.MessagesSent - sent0;
        long windowDelivered = Delivered(adapter, engine, group) - delivered0;
        long rssEnd = ProcessProbe.ResidentBytes();
        long inflight = s.Protocol == "mqtt" ? SumInflight(engine, group) : 0;
        long heapEnd = GC.GetTotalMemory(forceFullCollection: true);
        long rssAfterGc = ProcessProbe.ResidentBytes();
        int threads = ProcessProbe.Threads();
        int fds = ProcessProbe.OpenFiles();
        string protocolDetail = Detail(adapter);

        // Stop: graceful (queued messages and DISCONNECT written), then wait for the devices to reach stopped.
        engine.StopGroup(group);
        var stopWatch = Stopwatch.StartNew();
        while (stopWatch.Elapsed < TimeSpan.FromSeconds(30))
        {
            var st = engine.GetStats();
            if (!st.DevicesByState.TryGetValue("stopping", out int stopping) || stopping == 0)
            {
                break;
            }

            await Task.Delay(100);
        }

        await Task.Delay(s.Protocol == "mqtt" ? 1000 : 3000);
        var final = engine.GetStats();
        var finalMetrics = adapter.GetMetrics();
        string finalDetail = Detail(adapter);

        var result = new Dictionary<string, object?>
        {
            ["implementation"] = "iotix",
            ["protocol"] = s.Protocol,
            ["shard"] = s.Shard,
            ["devices"] = s.Devices,
            ["qos"] = s.Qos,
            ["intervalMs"] = s.IntervalMs,
            ["launch"] = s.Launch,
            ["connected"] = connected,
            ["connectSeconds"] = Math.Round(connectSeconds, 3),
            ["connectsPerSecond"] = Math.Round(connected / connectSeconds, 0),
            ["seconds99"] = Math.Round(seconds99, 3),
            ["connectsPerSecond99"] = Math.Round(0.99 * s.Devices / seconds99, 0),
            ["secondsHalf"] = Math.Round(firstHalf, 3),
            ["connectTimeoutMs"] = s.ConnectTimeoutMs,
            ["failedAtStart"] = counts.FailedAtStart,
            ["failureReasons"] = failureReasons,
            ["connectFailures"] = endMetrics.ConnectFailures,
            ["launchCorePercent"] = Math.Round(launchCorePercent, 1),
            ["unexpectedTransitions"] = counts.Dropped,
            ["drops"] = counts.Dropped,
            ["failed"] = counts.Failed,
            ["reconnecting"] = counts.Reconnecting,
            ["runningAtEnd"] = end.RunningDeviceCount,
            ["windowSeconds"] = Math.Round(windowSeconds, 1),
            ["windowCpuSeconds"] = Math.Round(windowCpuSeconds, 2),
            ["cpuPercentOfCore"] = Math.Round(cpuPercent, 2),
            ["windowMessagesPublished"] = windowMessages,
            ["windowMessagesSentByEngine"] = windowSent,
            ["messagesPerSecond"] = Math.Round(windowMessages / windowSeconds, 1),
            ["offeredPerSecond"] = Math.Round(s.Devices * 1000.0 / s.IntervalMs, 1),
            ["windowDelivered"] = windowDelivered,
            ["deliveredPerSecond"] = Math.Round(windowDelivered / windowSeconds, 1),
            ["cpuMicrosecondsPerMessage"] = windowMessages == 0 ? null : Math.Round(1e6 * windowCpuSeconds / windowMessages, 2),
            ["rssBaselineMB"] = Math.Round(rss0 / 1048576.0, 1),
            ["rssEndMB"] = Math.Round(rssEnd / 1048576.0, 1),
            ["rssMaxMB"] = Math.Round(Math.Max(rssMax, rssEnd) / 1048576.0, 1),
            ["rssPeakHwmMB"] = Math.Round(ProcessProbe.PeakResidentBytes() / 1048576.0, 1),
            ["rssPerDeviceKB"] = Math.Round((rssEnd - rss0) / 1024.0 / s.Devices, 2),
            ["rssAfterGcPerDeviceKB"] = Math.Round((rssAfterGc - rss0) / 1024.0 / s.Devices, 2),
            ["heapPerDeviceKB"] = Math.Round((heapEnd - heap0) / 1024.0 / s.Devices, 2),
            ["threads"] = threads,
            ["openFiles"] = fds,
            ["engineSentAtEnd"] = end.MessagesSent,
            ["engineFailedAtEnd"] = end.MessagesFailed,
            ["publishedAtEnd"] = endMetrics.MessagesPublished,
            ["inflightAtEnd"] = inflight,
            ["ackedAtEnd"] = endMetrics.MessagesPublished - inflight,
            ["detailAtEnd"] = protocolDetail,
            ["engineSentFinal"] = final.MessagesSent,
            ["engineFailedFinal"] = final.MessagesFailed,
            ["publishedFinal"] = finalMetrics.MessagesPublished,
            ["droppedFinal"] = finalMetrics.MessagesDropped,
            ["detailFinal"] = finalDetail,
            ["schedulerOverruns"] = final.Scheduler.Overruns,
            ["loadAverageEnd"] = ProcessProbe.LoadAverage(),
        };
        ResultWriter.Write(result, s.ResultFile, output);
        engine.DeviceStateChanged -= counts.OnChanged;
        return 0;
    }

    private static string Connection(SimulatorSettings s) => s.Protocol switch
    {
        "mqtt" => $$"""{ "broker": "{{s.Host}}", "port": {{s.Port}}, "topicPattern": "devices/${deviceId}/telemetry", "qos": {{s.Qos}}, "mqttVersion": "3.1.1", "keepAlive": 60 }""",
        _ => $$"""{ "url": "{{s.Url}}", "method": "{{s.Method}}", "qos": {{s.Qos}} }""",
    };

    private static LaunchStrategy ParseLaunch(string launch)
    {
        // immediate | batch:SIZE:DELAYMS | linear:DELAYMS
        var parts = launch.Split(':');
        return parts[0] switch
        {
            "immediate" => LaunchStrategy.Immediate,
            "batch" => new LaunchStrategy { Strategy = LaunchStrategyKind.Batch, BatchSize = int.Parse(parts[1], CultureInfo.InvariantCulture), DelayMs = int.Parse(parts[2], CultureInfo.InvariantCulture) },
            "linear" => new LaunchStrategy { Strategy = LaunchStrategyKind.Linear, DelayMs = int.Parse(parts[1], CultureInfo.InvariantCulture) },
            _ => throw new ArgumentException($"--launch must be immediate, batch:SIZE:DELAYMS or linear:DELAYMS (was '{launch}')"),
        };
    }

    /// <summary>Messages the server confirmed: MQTT QoS 1 acknowledged (written minus in flight; QoS 0: written), CoAP 2.xx responses, HTTP 2xx.</summary>
    private static long Delivered(IProtocolAdapter adapter, SimulationEngine engine, string group) => adapter switch
    {
        CoapProtocolAdapter c => c.GetCoapMetrics().Responses2xx,
        HttpProtocolAdapter h => h.GetHttpMetrics().Succeeded,
        _ => adapter.GetMetrics().MessagesPublished - SumInflight(engine, group),
    };

    private static string Detail(IProtocolAdapter adapter) => adapter switch
    {
        CoapProtocolAdapter c => c.GetCoapMetrics().ToString(),
        HttpProtocolAdapter h => FormatHttp(h.GetHttpMetrics()),
        _ => adapter.GetMetrics().ToString(),
    };

    private static string FormatHttp(HttpAdapterMetrics m)
    {
        var codes = string.Join(", ", m.StatusCodes.Select(kv => $"{kv.Key}: {kv.Value}"));
        return $"Requests {m.Requests}, Succeeded {m.Succeeded}, Failed {m.Failed}, Timeouts {m.Timeouts}, TransportErrors {m.TransportErrors}, InFlight {m.InFlight}, StatusCodes {{{codes}}}";
    }

    /// <summary>QoS 1 messages written but not yet acknowledged, summed over the group's connections.</summary>
    private static long SumInflight(SimulationEngine engine, string group)
    {
        if (!engine.TryGetGroup(group, out var g))
        {
            return 0;
        }

        long sum = 0;
        foreach (var d in g.Devices)
        {
            if (d.Connection is MqttDeviceConnection c)
            {
                sum += Volatile.Read(ref InflightCount(c));
            }
        }

        return sum;
    }

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_inflightCount")]
    private static extern ref int InflightCount(MqttDeviceConnection connection);

    private sealed class TransitionCounts
    {
        private int _reachedRunning;
        private int _failedAtStart;
        private long _lastRunning;
        private long _at99;
        private int _dropped;
        private int _failed;
        private int _reconnecting;

        public int ReachedRunning => Volatile.Read(ref _reachedRunning);

        public required int Devices { get; init; }

        public long Start { get; set; }

        public int FailedAtStart => Volatile.Read(ref _failedAtStart);

        public double SecondsToLastRunning => (Volatile.Read(ref _lastRunning) - Start) / (double)Stopwatch.Frequency;

        public double SecondsTo99 => Volatile.Read(ref _at99) == 0 ? double.NaN : (Volatile.Read(ref _at99) - Start) / (double)Stopwatch.Frequency;

        public int Dropped => Volatile.Read(ref _dropped);

        public int Failed => Volatile.Read(ref _failed);

        public int Reconnecting => Volatile.Read(ref _reconnecting);

        public int Unexpected => Dropped + Failed + Reconnecting;

        public void OnChanged(object? sender, DeviceStateChangedEventArgs e)
        {
            switch (e.To)
            {
                case DeviceState.Running when e.From == DeviceState.Starting:
                    long now = Stopwatch.GetTimestamp();
                    Volatile.Write(ref _lastRunning, now);
                    if (Interlocked.Increment(ref _reachedRunning) == (int)Math.Ceiling(0.99 * Devices))
                    {
                        Volatile.Write(ref _at99, now);
                    }

                    break;
                case DeviceState.Failed when e.From == DeviceState.Starting:
                    Interlocked.Increment(ref _failedAtStart);
                    Interlocked.Increment(ref _failed);
                    break;
                case DeviceState.Dropped:
                    Interlocked.Increment(ref _dropped);
                    break;
                case DeviceState.Failed:
                    Interlocked.Increment(ref _failed);
                    break;
                case DeviceState.Reconnecting:
                    Interlocked.Increment(ref _reconnecting);
                    break;
            }
        }
    }
}
