using System.Diagnostics;
using IoTix.Core.Protocols;
using IoTix.Tests.Shared;
using IoTix.Web.Cli.Run;
using MQTTnet;

namespace IoTix.Tests.Web.Cli.Run;

/// <summary>Helpers of the real-broker run tests: a real-clock environment and the built <c>iotix</c> program.</summary>
internal static class RealRun
{
    /// <summary>The run commands with the host's own adapters and the system clock.</summary>
    public static RunEnvironment Environment(RunHarness harness) => new()
    {
        ContentRoot = harness.Folder,
        IsTerminal = false,
        UseEnvironmentVariables = false,
        HandleSignals = false,
    };

    public static async Task<(IMqttClient Client, MessageCollector Messages)> SubscribeAsync(Func<string, Task<IMqttClient>> connect, string filter)
    {
        var client = await connect("sub-" + Guid.NewGuid().ToString("N")[..8]);
        var messages = new MessageCollector(client);
        await client.SubscribeAsync(filter);
        return (client, messages);
    }

    /// <summary>Starts the built <c>iotix</c> in <paramref name="folder"/> under <c>timeout -s KILL 120</c> (which forwards SIGINT).</summary>
    public static Process Start(string folder, params string[] arguments)
    {
        var start = new ProcessStartInfo("timeout")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["-s", "KILL", "120", Path.Combine(AppContext.BaseDirectory, "iotix"), .. arguments])
        {
            start.ArgumentList.Add(a);
        }

        foreach (var name in (string[])["MQTT_BROKER_HOST", "MQTT_BROKER_PORT", "DEVICE_MODEL_PATH", "DOTNET_ENVIRONMENT", "ASPNETCORE_ENVIRONMENT"])
        {
            start.Environment.Remove(name);
        }

        return Process.Start(start)!;
    }
}

/// <summary><c>iotix run</c> against the hosted broker (MQTTnet.Server) with the real MQTT adapter.</summary>
public sealed class RunHostedBrokerTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>, IDisposable
{
    private readonly RunHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task Run_delivers_every_message_it_counts_to_the_hosted_broker_and_exits_0()
    {
        var broker = fixture.Broker;
        string group = "rh" + Guid.NewGuid().ToString("N")[..8];
        var (client, messages) = await RealRun.SubscribeAsync(id => broker.ConnectAsync(id), "devices/+/telemetry");
        using var _ = client;

        var (exit, output, error) = await InvokeAsync(["run", "--model", "sensor", "--group-id", group, "--count", "10", "--duration", "3s", "--broker", $"mqtt://127.0.0.1:{broker.TcpPort}", "--report", _harness.PathOf("r.json")]);

        Assert.True(exit == RunExitCodes.Ok, error + output);
        var report = _harness.ReadReport("r.json");
        Assert.Equal(10, report.Totals.Connected);
        Assert.Equal(0, report.Totals.MessagesFailed);
        Assert.InRange(report.Totals.MessagesSent, 20, 50);
        var received = await messages.WaitForAsync((int)report.Totals.MessagesSent);
        var ours = received.Where(m => m.Topic.StartsWith($"devices/{group}-", StringComparison.Ordinal)).ToList();
        Assert.Equal(report.Totals.MessagesSent, ours.Count);
        Assert.Equal(10, ours.Select(m => m.Topic).Distinct().Count());
        Assert.Equal($"mqtt://127.0.0.1:{broker.TcpPort}", report.Endpoint);
    }

    [Fact]
    public async Task A_QoS_1_run_reports_every_message_acknowledged_with_its_latency_and_no_failure()
    {
        var broker = fixture.Broker;
        _harness.Write("qos1.json", RunHarness.SensorModel.Replace("\"topicPattern\"", "\"qos\": 1, \"topicPattern\"", StringComparison.Ordinal));

        var (exit, output, error) = await InvokeAsync(["run", "--model", _harness.PathOf("qos1.json"), "--count", "5", "--duration", "3s", "--broker", $"mqtt://127.0.0.1:{broker.TcpPort}", "--report", _harness.PathOf("r.json"),
            "--IoTix:Simulation:Mqtt:DisconnectDrainMs=15000"]); // a loaded machine can take longer than the default 2 s to acknowledge

        Assert.True(exit == RunExitCodes.Ok, error + output);
        var report = _harness.ReadReport("r.json");
        Assert.True(report.Totals.MessagesSent >= 10, $"{report.Totals.MessagesSent} sent");
        Assert.Equal(report.Totals.MessagesSent, report.PublishLatency!.Count); // the graceful stop waited for every PUBACK
        Assert.InRange(report.PublishLatency.P50Ms, 0, report.PublishLatency.P99Ms);
        Assert.Equal(new PublishFailureCounts(), report.PublishFailures);
        Assert.Contains("publish latency", output, StringComparison.Ordinal);
        Assert.Contains("unacknowledged 0", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_broker_fails_the_connects_and_exits_1_with_the_reason()
    {
        int closed = BrokerInstance.FreePort();

        var (exit, _, _) = await InvokeAsync(["run", "--model", "sensor", "--count", "2", "--duration", "2s", "--broker", $"mqtt://127.0.0.1:{closed}", "--stop-timeout", "1s", "--report", _harness.PathOf("r.json")]);

        Assert.Equal(RunExitCodes.ThresholdsBreached, exit);
        var report = _harness.ReadReport("r.json");
        Assert.Equal(2, report.Totals.FailedToConnect);
        Assert.Equal(0, report.Totals.Connected);
        Assert.NotEmpty(report.Errors);
        Assert.Equal(2, report.Errors.Sum(e => e.Count));
    }

    private async Task<(int Exit, string Output, string Error)> InvokeAsync(string[] args)
    {
        var root = new System.CommandLine.RootCommand();
        RunCommands.AddTo(root, RealRun.Environment(_harness));
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = await root.Parse(args).InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
        return (exit, output.ToString(), error.ToString());
    }
}

/// <summary>The built <c>iotix</c> program against Debian's mosquitto: sharded processes and Ctrl-C.</summary>
public sealed class RunMosquittoTests(MosquittoFixture fixture) : IClassFixture<MosquittoFixture>, IDisposable
{
    private readonly RunHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task Run_sharded_starts_shard_processes_that_together_run_the_whole_group_and_merges_their_reports()
    {
        var mosquitto = fixture.Mosquitto;
        string group = "rs" + Guid.NewGuid().ToString("N")[..8];
        var (client, messages) = await RealRun.SubscribeAsync(id => mosquitto.ConnectClientAsync(id), "devices/+/telemetry");
        using var _ = client;

        using var process = RealRun.Start(_harness.Folder, "run-sharded", "--shards", "2", "--model", "sensor", "--group-id", group, "--count", "6", "--duration", "3s",
            "--broker", $"mqtt://127.0.0.1:{mosquitto.Port}", "--report", _harness.PathOf("all.json"), "--shard-reports", _harness.PathOf("shards"));
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        string output = await stdout + await stderr;

        Assert.True(process.ExitCode == RunExitCodes.Ok, output);
        var merged = _harness.ReadReport("all.json");
        Assert.Equal(6, merged.Totals.Devices);
        Assert.Equal(6, merged.Totals.Connected);
        Assert.Equal([1, 2], merged.MergedShards!.Select(s => s.Index));
        Assert.Equal(3, _harness.ReadReport("shards/shard-1-of-2.json").Totals.Devices);
        Assert.Contains("[1/2] ", output, StringComparison.Ordinal);
        Assert.Contains("[2/2] ", output, StringComparison.Ordinal);
        var received = await messages.WaitForAsync((int)merged.Totals.MessagesSent);
        var topics = received.Where(m => m.Topic.StartsWith($"devices/{group}-", StringComparison.Ordinal)).Select(m => m.Topic).Distinct().Order();
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"devices/{group}-{i}/telemetry").Order(), topics);
    }

    [Fact]
    public async Task Termination_signal_stops_the_run_cleanly_writes_the_report_and_exits_130()
    {
        var mosquitto = fixture.Mosquitto;
        string group = "ri" + Guid.NewGuid().ToString("N")[..8];
        var (client, messages) = await RealRun.SubscribeAsync(id => mosquitto.ConnectClientAsync(id), "devices/+/telemetry");
        using var _ = client;
        using var process = RealRun.Start(_harness.Folder, "run", "--model", "sensor", "--group-id", group, "--count", "3", "--duration", "1h",
            "--broker", $"mqtt://127.0.0.1:{mosquitto.Port}", "--report", _harness.PathOf("r.json"));
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();

        // Every device has published once it is connected: then interrupt. SIGTERM, because a test host
        // started in the background may inherit an ignored SIGINT; the run treats both alike.
        await WaitForDevicesAsync(messages, group, 3);
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await process.WaitForExitAsync();
        string output = await stdout + await stderr;

        Assert.True(process.ExitCode == RunExitCodes.Interrupted, output);
        var report = _harness.ReadReport("r.json");
        Assert.Equal(RunStatus.Interrupted, report.Status);
        Assert.Equal(3, report.Totals.Connected);
        Assert.Equal(3, report.Totals.ConnectedAtEnd);
        Assert.Contains("interrupted", output, StringComparison.Ordinal);
    }

    private static async Task WaitForDevicesAsync(MessageCollector messages, string group, int devices)
    {
        for (int n = 1; ; n++)
        {
            var received = await messages.WaitForAsync(n, TimeSpan.FromSeconds(30));
            if (received.Where(m => m.Topic.StartsWith($"devices/{group}-", StringComparison.Ordinal)).Select(m => m.Topic).Distinct().Count() >= devices)
            {
                return;
            }
        }
    }
}
