using System.Globalization;
using IoTix.Core;
using IoTix.Core.Devices;
using IoTix.Core.Models;
using IoTix.Core.Protocols;
using IoTix.Core.Strategies;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IoTix.Bench.Core;

/// <summary>
/// The simulation core alone: N devices of a three-item environmental sensor, every item every
/// interval, launched in 100 batches over one interval so the load is even, then measured in
/// steady state: CPU share of one core, messages/s, bytes allocated per message, managed heap
/// per device. Then the naive peer with the same devices, interval and payload fields.
/// </summary>
internal static class CoreBenchmark
{
    private const string ModelJson = """
        {
          "id": "bench-env", "name": "Bench environmental sensor", "type": "sensor", "protocol": "mqtt",
          "connection": { "broker": "localhost", "topicPattern": "devices/${deviceId}/telemetry", "qos": 0 },
          "telemetry": [
            { "name": "temperature", "type": "number", "generator": { "type": "random", "min": 15, "max": 35, "distribution": "normal", "mean": 22, "stddev": 3 }, "intervalMs": INTERVAL },
            { "name": "humidity", "type": "number", "generator": { "type": "random", "min": 20, "max": 90 }, "intervalMs": INTERVAL },
            { "name": "pressure", "type": "number", "generator": { "type": "random", "min": 980, "max": 1040, "distribution": "normal", "mean": 1013.25, "stddev": 10 }, "intervalMs": INTERVAL }
          ]
        }
        """;

    public static async Task<int> RunAsync(int devices, int intervalMs, int measureSeconds, bool peer, TextWriter output)
    {
        output.WriteLine($"# Simulation core benchmark: {devices:N0} devices, interval {intervalMs} ms, measured {measureSeconds} s");
        output.WriteLine($"runtime {Environment.Version}, {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}");
        output.WriteLine();
        output.WriteLine("| implementation | devices | messages/s | CPU (% of one core) | CPU µs/message | bytes allocated/message | managed heap/device (bytes) | working set (MB) |");
        output.WriteLine("|---|---|---|---|---|---|---|---|");

        var iotix = await MeasureIoTixAsync(devices, intervalMs, measureSeconds);
        output.WriteLine(Row("IoTix engine", devices, iotix));
        if (peer)
        {
            var naive = await MeasureNaiveAsync(devices, intervalMs, measureSeconds);
            output.WriteLine(Row("naive peer (timer per device, JsonSerializer)", devices, naive));
            output.WriteLine();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ratios IoTix/naive: CPU per message {iotix.Window.Cpu.TotalMilliseconds / iotix.Window.Messages / (naive.Window.Cpu.TotalMilliseconds / naive.Window.Messages):F2}, heap per device {(double)iotix.HeapPerDevice / naive.HeapPerDevice:F2}"));
        }

        return 0;
    }

    private static string Row(string name, int devices, Measurement m) => string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {devices:N0} | {m.Window.MessagesPerSecond:N0} | {m.Window.CorePercent:F1} | {1e6 * m.Window.Cpu.TotalSeconds / m.Window.Messages:F2} | {m.Window.BytesAllocatedPerMessage:F2} | {m.HeapPerDevice:N0} | {m.WorkingSetBytes / 1048576.0:N0} |");

    private static async Task<Measurement> MeasureIoTixAsync(int devices, int intervalMs, int measureSeconds)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["IoTix:Simulation:Seed"] = "1",
            ["IoTix:Models:Watch"] = "false",
        }).Build();
        var services = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole())
            .AddIoTixCore(configuration);
        var adapter = new CountingAdapter();
        services.AddSingleton<IProtocolAdapter>(adapter);
        await using var provider = services.BuildServiceProvider();
        var engine = provider.GetRequiredService<SimulationEngine>();
        var validation = provider.GetRequiredService<DeviceModelValidator>()
            .Validate(ModelJson.Replace("INTERVAL", intervalMs.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), "bench-env.json", null);
        var model = validation.Model ?? throw new InvalidOperationException(string.Join("; ", validation.Errors));

        long heapBefore = ProcessSampler.HeapAfterFullCollection();
        var created = engine.CreateGroup(model, new DeviceGroupSpec { ModelId = model.Id, Count = devices, GroupId = "bench", IdPattern = "dev-${index}" });
        if (!created.Succeeded)
        {
            throw new InvalidOperationException(created.ToString());
        }

        long heapAfter = ProcessSampler.HeapAfterFullCollection();
        engine.Start();
        var launch = new LaunchStrategy { Strategy = LaunchStrategyKind.Batch, BatchSize = Math.Max(1, devices / 100), DelayMs = Math.Max(1, intervalMs / 100) };
        var started = engine.StartGroup("bench", launch);
        if (!started.Succeeded)
        {
            throw new InvalidOperationException(started.ToString());
        }

        // Launch spans one interval; one more interval to reach steady state.
        await Task.Delay(TimeSpan.FromMilliseconds(2 * intervalMs + 1000));
        var sampler = new ProcessSampler();
        long m0 = adapter.Messages;
        sampler.Start();
        await Task.Delay(TimeSpan.FromSeconds(measureSeconds));
        var window = sampler.Stop(adapter.Messages - m0);
        long workingSet = ProcessSampler.WorkingSet();
        await engine.StopAsync();
        return new Measurement(window, (heapAfter - heapBefore) / devices, workingSet);
    }

    private static async Task<Measurement> MeasureNaiveAsync(int devices, int intervalMs, int measureSeconds)
    {
        ProcessSampler.HeapAfterFullCollection();
        long heapBefore = ProcessSampler.HeapAfterFullCollection();
        using var peer = new NaivePeer();
        peer.Start(devices, TimeSpan.FromMilliseconds(intervalMs));
        long heapAfter = ProcessSampler.HeapAfterFullCollection();
        await Task.Delay(TimeSpan.FromMilliseconds(intervalMs + 1000));
        var sampler = new ProcessSampler();
        long m0 = peer.Messages;
        sampler.Start();
        await Task.Delay(TimeSpan.FromSeconds(measureSeconds));
        var window = sampler.Stop(peer.Messages - m0);
        return new Measurement(window, (heapAfter - heapBefore) / devices, ProcessSampler.WorkingSet());
    }

    private readonly record struct Measurement(WindowResult Window, long HeapPerDevice, long WorkingSetBytes);
}
