using System.Collections.Concurrent;
using System.CommandLine;
using IoTix.Core.Protocols;
using IoTix.Tests.Core.Models;
using IoTix.Web.Cli.Run;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IoTix.Tests.Web.Cli.Run;

/// <summary>
/// An in-process adapter for headless run tests: connects at once (or fails for chosen ids, or never
/// completes for chosen ids), accepts publishes (or rejects every n-th), and remembers the index each
/// device was created with.
/// </summary>
internal sealed class RunTestAdapter(string protocol = "mqtt") : IProtocolAdapter
{
    private long _published;
    private long _rejected;
    private long _attempts;

    public string Protocol { get; } = protocol;

    public HashSet<string> FailConnectFor { get; } = new(StringComparer.Ordinal);

    public HashSet<string> HangConnectFor { get; } = new(StringComparer.Ordinal);

    /// <summary>Reject every n-th publish (0: never).</summary>
    public int RejectEvery { get; set; }

    public ConcurrentDictionary<string, int> CreatedIndexes { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, int> Connects { get; } = new(StringComparer.Ordinal);

    public long Published => Interlocked.Read(ref _published);

    public long Rejected => Interlocked.Read(ref _rejected);

    public IDeviceConnection CreateConnection(DeviceConnectionContext context)
    {
        CreatedIndexes[context.DeviceId] = context.Index;
        return new Connection(this, context.DeviceId);
    }

    public ProtocolAdapterMetrics GetMetrics() => new(Connects.Count, 0, Published, Rejected, 0, 0);

    private sealed class Connection(RunTestAdapter adapter, string id) : IDeviceConnection
    {
        public bool IsConnected { get; private set; }

        public ValueTask<ConnectResult> ConnectAsync(CancellationToken cancellationToken = default)
        {
            adapter.Connects.AddOrUpdate(id, 1, static (_, n) => n + 1);
            if (adapter.HangConnectFor.Contains(id))
            {
                return new ValueTask<ConnectResult>(new TaskCompletionSource<ConnectResult>().Task);
            }

            IsConnected = !adapter.FailConnectFor.Contains(id);
            return ValueTask.FromResult(IsConnected ? ConnectResult.Success : ConnectResult.Failure("refused by test"));
        }

        public PublishStatus TryPublish(string topic, ReadOnlySpan<byte> payload, int qos, bool retain)
        {
            if (!IsConnected)
            {
                return PublishStatus.NotConnected;
            }

            long n = Interlocked.Increment(ref adapter._attempts);
            if (adapter.RejectEvery > 0 && n % adapter.RejectEvery == 0)
            {
                Interlocked.Increment(ref adapter._rejected);
                return PublishStatus.Rejected;
            }

            Interlocked.Increment(ref adapter._published);
            return PublishStatus.Accepted;
        }

        public ValueTask DisconnectAsync(DisconnectMode mode, CancellationToken cancellationToken = default)
        {
            IsConnected = false;
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>
/// Runs the run commands in process against a model folder of its own, the <see cref="RunTestAdapter"/>
/// and a <see cref="FakeTimeProvider"/> advanced in 100 ms steps while the command runs (a one-minute
/// run takes a fraction of a second).
/// </summary>
internal sealed class RunHarness : IDisposable
{
    public const string SensorModel = """
        {
          "id": "sensor",
          "name": "Sensor",
          "type": "sensor",
          "protocol": "mqtt",
          "connection": { "broker": "localhost", "topicPattern": "devices/${deviceId}/telemetry" },
          "telemetry": [
            { "name": "temperature", "generator": { "type": "random", "min": 10, "max": 30 }, "intervalMs": 1000 }
          ]
        }
        """;

    /// <summary>A model whose topic uses <c>${index}</c>: a shard's devices must see their global index.</summary>
    public const string IndexedModel = """
        {
          "id": "indexed",
          "name": "Indexed",
          "type": "sensor",
          "protocol": "mqtt",
          "connection": { "broker": "localhost", "topicPattern": "meters/${index}" },
          "telemetry": [
            { "name": "power", "generator": { "type": "sequence", "start": 0, "step": 1 }, "intervalMs": 1000 }
          ]
        }
        """;

    private readonly TempFolder _folder = new();

    public RunHarness()
    {
        _folder.Write("seed-models/sensor.json", SensorModel);
        _folder.Write("seed-models/indexed.json", IndexedModel);
    }

    public RunTestAdapter Adapter { get; } = new();

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public string Folder => _folder.Path;

    public string Write(string name, string text) => _folder.Write(name, text);

    public string PathOf(string name) => _folder.File(name);

    public RunEnvironment Environment(Action<RunProgressSnapshot>? onProgress = null, IShardLauncher? launcher = null) => new()
    {
        ContentRoot = _folder.Path,
        IsTerminal = false,
        UseEnvironmentVariables = false,
        HandleSignals = false,
        OnProgress = onProgress,
        ShardLauncher = launcher,
        ConfigureServices = services =>
        {
            services.AddSingleton<IProtocolAdapter>(Adapter);
            services.AddSingleton<TimeProvider>(Time);
        },
    };

    /// <summary>Invokes the command line, advancing the fake clock until it returns.</summary>
    public async Task<(int Exit, string Output, string Error)> InvokeAsync(string[] args, RunEnvironment? environment = null, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand();
        RunCommands.AddTo(root, environment ?? Environment());
        using var output = new StringWriter();
        using var error = new StringWriter();
        var configuration = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null };
        var run = root.Parse(args).InvokeAsync(configuration, cancellationToken);
        await DriveAsync(run, Time);
        int exit = await run;
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>Advances <paramref name="time"/> in 100 ms steps until <paramref name="run"/> completes (at most 2 minutes of real time).</summary>
    public static async Task DriveAsync(Task run, FakeTimeProvider time)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!run.IsCompleted && DateTime.UtcNow < deadline)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(1);
        }

        Assert.True(run.IsCompleted, "the command did not finish within 2 minutes of real time");
    }

    public RunReport ReadReport(string name) => RunReport.FromJson(File.ReadAllText(PathOf(name)));

    public void Dispose() => _folder.Dispose();
}
