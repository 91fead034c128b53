using System.CommandLine;
using IoTix.Web.Cli.Run;
using Microsoft.Extensions.Time.Testing;

namespace IoTix.Tests.Web.Cli.Run;

/// <summary>
/// Shards (<c>--shard K/N</c>) and <c>run-sharded</c>: every device of the group runs in exactly one
/// shard with the id and index it has in an unsharded run, and the shards' reports merge into one.
/// </summary>
public sealed class ShardTests : IDisposable
{
    private readonly List<RunHarness> _harnesses = [];

    public void Dispose()
    {
        foreach (var h in _harnesses)
        {
            h.Dispose();
        }
    }

    private RunHarness NewHarness()
    {
        var h = new RunHarness();
        _harnesses.Add(h);
        return h;
    }

    [Theory]
    [InlineData("sensor", 3)]
    [InlineData("sensor", 4)]
    [InlineData("indexed", 3)]
    public async Task Shards_run_every_device_of_the_group_exactly_once_with_its_global_id(string model, int shards)
    {
        var connectedBy = new List<(int Shard, string Id)>();
        int devices = 0;
        for (int k = 1; k <= shards; k++)
        {
            var h = NewHarness();
            var (exit, _, error) = await h.InvokeAsync(["run", "--model", model, "--count", "10", "--duration", "2s", "--shard", $"{k}/{shards}", "--report", h.PathOf("r.json")]);
            Assert.True(exit == 0, error);
            connectedBy.AddRange(h.Adapter.Connects.Keys.Select(id => (k, id)));
            devices += h.ReadReport("r.json").Totals.Devices;
        }

        var expected = Enumerable.Range(0, 10).Select(i => $"{model}-{i}").Order().ToList();
        Assert.Equal(expected, connectedBy.Select(c => c.Id).Order().ToList());
        Assert.Equal(10, devices);
        Assert.All(connectedBy, c => Assert.Equal(c.Shard - 1, int.Parse(c.Id[(model.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture) % shards));
    }

    [Theory]
    [InlineData("indexed")]
    [InlineData("sensor")]
    public async Task A_shard_creates_only_its_own_devices_with_their_global_index(string model)
    {
        var h = NewHarness();

        var (exit, output, _) = await h.InvokeAsync(["run", "--model", model, "--count", "9", "--duration", "2s", "--shard", "2/3"]);

        Assert.Equal(0, exit);
        Assert.Contains("shard 2/3 (3 devices)", output, StringComparison.Ordinal);
        Assert.Equal([$"{model}-1", $"{model}-4", $"{model}-7"], h.Adapter.CreatedIndexes.Keys.Order());
        Assert.Equal(1, h.Adapter.CreatedIndexes[$"{model}-1"]);
        Assert.Equal(7, h.Adapter.CreatedIndexes[$"{model}-7"]);
    }

    [Fact]
    public async Task A_shard_launches_its_devices_at_their_offsets_in_the_whole_group()
    {
        var h = NewHarness();

        // batch:2:1000 over 8 devices: indexes 0-1 at 0 s, 2-3 at 1 s, 4-5 at 2 s, 6-7 at 3 s; shard 1/2 owns 0, 2, 4, 6.
        var (exit, _, _) = await h.InvokeAsync(["run", "--model", "sensor", "--count", "8", "--duration", "2500ms", "--launch", "batch:2:1000", "--shard", "1/2", "--report", h.PathOf("r.json")]);

        Assert.Equal(0, exit);
        Assert.Equal(["sensor-0", "sensor-2", "sensor-4"], h.Adapter.Connects.Keys.Order());
        var report = h.ReadReport("r.json");
        Assert.Equal(1, report.Totals.NotLaunched);
        Assert.Equal(3_000, report.Launch.PlannedMs);
    }

    [Fact]
    public async Task Dropout_count_is_shared_among_shards()
    {
        var h = NewHarness();

        var (exit, _, _) = await h.InvokeAsync(["run", "--model", "sensor", "--count", "10", "--duration", "4s", "--shard", "1/3", "--dropout", "immediate:5", "--dropout-at", "1s", "--report", h.PathOf("r.json")]);

        Assert.Equal(0, exit);
        var report = h.ReadReport("r.json");
        Assert.Equal(2, report.Dropout!.Planned); // 5 over 3 shards: 2, 2, 1
        Assert.Equal(2, report.Totals.Drops);
        Assert.Equal(2, report.Totals.ConnectedAtEnd);
    }

    [Fact]
    public async Task Run_sharded_starts_every_shard_with_one_seed_and_merges_their_reports()
    {
        var launcher = new InProcessShardLauncher();
        var h = NewHarness();
        var report = h.PathOf("all.json");

        var (exit, output, error) = await h.InvokeAsync(
            ["run-sharded", "--shards", "3", "--model", "sensor", "--count", "10", "--duration", "5s", "--report", report, "--shard-reports", h.PathOf("shards")],
            h.Environment(launcher: launcher));

        Assert.True(exit == 0, error + output);
        Assert.Equal(3, launcher.Arguments.Count);
        var seeds = launcher.Arguments.Values.Select(a => a[a.IndexOf("--seed") + 1]).Distinct().ToList();
        Assert.Single(seeds);
        var merged = RunReport.FromJson(File.ReadAllText(report));
        Assert.Equal(seeds[0], merged.Seed);
        Assert.Equal([1, 2, 3], merged.MergedShards!.Select(s => s.Index));
        Assert.Equal(10, merged.Totals.Devices);
        Assert.Equal(10, merged.Totals.Connected);
        Assert.Equal(launcher.Adapters.Values.Sum(a => a.Published), merged.Totals.MessagesSent);
        Assert.Equal(merged.Totals.MessagesSent, merged.Series.Sum(s => s.Messages));
        Assert.Contains("[2/3] ", output, StringComparison.Ordinal);
        Assert.Contains("merged report written to", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_sharded_refuses_an_explicit_shard_and_too_many_shards()
    {
        var h = NewHarness();

        var (exit, _, error) = await h.InvokeAsync(["run-sharded", "--shards", "4", "--shard", "1/2", "--model", "sensor", "--count", "3"], h.Environment(launcher: new InProcessShardLauncher()));

        Assert.Equal(RunExitCodes.Usage, exit);
        Assert.Contains("run-sharded: --shard: run-sharded chooses the shards itself", error, StringComparison.Ordinal);
        Assert.Contains("run-sharded: --shards: 4 shards need at least 4 devices", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Shard_arguments_keep_the_options_and_give_each_shard_its_slice_seed_report_and_source_address()
    {
        var args = new RunArguments(
            new Dictionary<string, string> { ["--model"] = "sensor", ["--count"] = "100", ["--report"] = "all.json", ["--progress"] = "live", ["--broker"] = "mqtt://127.0.0.1:1884" },
            ["--IoTix:Simulation:OutboundQueueLimit=5000"]);

        var shard = RunShardedCommand.ShardArguments(args, new ShardSpec(2, 4), 99, "/tmp/s2.json", loopbackSources: true);

        Assert.Equal(
            ["run", "--model", "sensor", "--count", "100", "--broker", "mqtt://127.0.0.1:1884", "--shard", "2/4", "--seed", "99", "--report", "/tmp/s2.json", "--progress", "plain",
             "--IoTix:Simulation:OutboundQueueLimit=5000", "--IoTix:Simulation:Mqtt:LocalAddresses:0=127.0.0.3"],
            shard);
    }

    /// <summary>Runs each shard in this process with its own adapter and fake clock (a child process could not load the test adapter).</summary>
    private sealed class InProcessShardLauncher : IShardLauncher
    {
        public System.Collections.Concurrent.ConcurrentDictionary<int, List<string>> Arguments { get; } = new();

        public System.Collections.Concurrent.ConcurrentDictionary<int, RunTestAdapter> Adapters { get; } = new();

        public async Task<int> RunAsync(ShardSpec shard, IReadOnlyList<string> arguments, TextWriter output, CancellationToken cancellationToken)
        {
            Arguments[shard.Index] = [.. arguments];
            using var h = new RunHarness();
            Adapters[shard.Index] = h.Adapter;
            var root = new RootCommand();
            RunCommands.AddTo(root, h.Environment());
            using var shardOutput = new StringWriter();
            var run = root.Parse([.. arguments]).InvokeAsync(new InvocationConfiguration { Output = shardOutput, Error = shardOutput, ProcessTerminationTimeout = null }, cancellationToken);
            await RunHarness.DriveAsync(run, h.Time);
            int exit = await run;
            lock (output)
            {
                foreach (var line in shardOutput.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    output.WriteLine($"[{shard}] {line}");
                }
            }

            return exit;
        }
    }
}
