using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using IoTix.Broker;
using IoTix.Broker.Rules;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

// SC-010: rule evaluations per second without backpressure, through the real publish path. Starts the hosted broker
// (AddIoTixBroker, rules engine on its defaults) in this process, applies R rules whose filter matches, and publishes
// at fixed rates from MQTTnet clients over TCP. Per phase: offered messages/s, evaluations/s, messages dropped by the
// rules queue, the longest queue seen, and actions completed (a counting database sink).
//   dotnet run -c Release --project bench/IoTix.Bench.Rules -- [--rates 5000,10000,20000] [--rules 1,4] [--seconds 10] [--publishers 4]
var options = Args.Parse(args);
var port = FreePort();
var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Warning);
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Broker:Listeners:Tcp:Port"] = port.ToString(CultureInfo.InvariantCulture),
    ["Broker:Listeners:WebSocket:Port"] = "0",
    ["Broker:Persistence:Enabled"] = "false",
    ["Broker:ShutdownDrainSeconds"] = "1",
    ["Logging:LogLevel:Default"] = "Warning",
});
var sink = new CountingSink();
builder.Services.AddSingleton<IRuleEventSink>(sink);
builder.Services.AddIoTixBroker(builder.Configuration);
using var host = builder.Build();
await host.StartAsync();
var engine = host.Services.GetRequiredService<IRuleEngine>();

Console.WriteLine($"Rules benchmark: {Environment.ProcessorCount} cores, load average at start {File.ReadAllText("/proc/loadavg").Trim()}");
Console.WriteLine();
Console.WriteLine("| rules | offered msg/s | sent msg/s | evaluations/s | condition passed/s | actions done/s | dropped | max queue |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
var publishers = new List<IMqttClient>();
for (var i = 0; i < options.Publishers; i++)
{
    var client = new MqttClientFactory().CreateMqttClient();
    await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId($"bench-pub-{i}").Build());
    publishers.Add(client);
}

foreach (var ruleCount in options.Rules)
{
    for (var r = 0; r < ruleCount; r++)
    {
        // A typical rule: a filter, a condition over a payload field and a topic level, a database action.
        engine.TryApply(new RuleDefinition
        {
            Id = $"bench-{r}",
            Name = $"bench {r}",
            TopicFilters = ["bench/+/telemetry"],
            Condition = "payload.temperature > 20 and topic[1] != 'ignored'",
            Actions = [new RuleActionDefinition { Type = RuleActionTypes.Database, Payload = "{\"t\":${payload.temperature},\"d\":\"${topic[1]}\"}" }],
        }, out _);
    }

    foreach (var rate in options.Rates)
    {
        var before = engine.GetSnapshot();
        var passedBefore = Passed(engine);
        var sinkBefore = sink.Count;
        var maxQueue = 0L;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                maxQueue = Math.Max(maxQueue, engine.GetSnapshot().QueueLength);
                await Task.Delay(20);
            }
        });
        var watch = Stopwatch.StartNew();
        var sends = new Task<long>[publishers.Count];
        for (var p = 0; p < publishers.Count; p++)
        {
            sends[p] = PublishAsync(publishers[p], p, rate / publishers.Count, options.Seconds);
        }

        var sent = (await Task.WhenAll(sends)).Sum();
        var sendSeconds = watch.Elapsed.TotalSeconds;

        // Let the engine finish what was queued, then read the counters.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (engine.GetSnapshot().Evaluations - before.Evaluations < sent * ruleCount - (engine.GetSnapshot().Dropped - before.Dropped) * ruleCount && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        var elapsed = watch.Elapsed.TotalSeconds;
        await sampling.CancelAsync();
        await sampler;
        var after = engine.GetSnapshot();
        var evaluations = after.Evaluations - before.Evaluations;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {ruleCount} | {rate:N0} | {sent / sendSeconds:N0} | {evaluations / elapsed:N0} | {(Passed(engine) - passedBefore) / elapsed:N0} | {(sink.Count - sinkBefore) / elapsed:N0} | {after.Dropped - before.Dropped:N0} | {maxQueue:N0} |"));
    }

    for (var r = 0; r < ruleCount; r++)
    {
        engine.Remove($"bench-{r}");
    }
}

foreach (var client in publishers)
{
    await client.DisconnectAsync();
    client.Dispose();
}

await host.StopAsync();
return 0;

static long Passed(IRuleEngine engine)
{
    long passed = 0;
    foreach (var rule in engine.GetRules())
    {
        passed += rule.Counters.Passed;
    }

    return passed;
}

// Paced in 10 ms slices: each slice sends its share, then waits for the next slice (no catch-up bursts beyond one slice).
static async Task<long> PublishAsync(IMqttClient client, int index, int rate, int seconds)
{
    var payloads = new byte[16][];
    for (var i = 0; i < payloads.Length; i++)
    {
        payloads[i] = Encoding.UTF8.GetBytes($"{{\"temperature\":{15 + i},\"humidity\":{40 + i},\"status\":\"ok\"}}");
    }

    var topic = $"bench/device-{index}/telemetry";
    var watch = Stopwatch.StartNew();
    long sent = 0;
    var total = (long)rate * seconds;
    while (sent < total)
    {
        var due = Math.Min(total, (long)(watch.Elapsed.TotalSeconds * rate) + rate / 100 + 1);
        while (sent < due)
        {
            var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payloads[sent % payloads.Length]).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtMostOnce).Build();
            await client.PublishAsync(message);
            sent++;
        }

        await Task.Delay(10);
    }

    return sent;
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

internal sealed class CountingSink : IRuleEventSink
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public Task<bool> WriteAsync(IReadOnlyList<RuleEvent> events, CancellationToken cancellationToken = default)
    {
        Interlocked.Add(ref _count, events.Count);
        return Task.FromResult(true);
    }
}

internal sealed record Args(int[] Rates, int[] Rules, int Seconds, int Publishers)
{
    public static Args Parse(string[] args)
    {
        var rates = new[] { 5_000, 10_000, 20_000 };
        var rules = new[] { 1, 4 };
        var seconds = 10;
        var publishers = 4;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--rates":
                    rates = Ints(args[i + 1]);
                    break;
                case "--rules":
                    rules = Ints(args[i + 1]);
                    break;
                case "--seconds":
                    seconds = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--publishers":
                    publishers = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                default:
                    throw new ArgumentException($"unknown option {args[i]}; known: --rates, --rules, --seconds, --publishers");
            }
        }

        return new Args(rates, rules, seconds, publishers);
    }

    private static int[] Ints(string text) => Array.ConvertAll(text.Split(','), static s => int.Parse(s, CultureInfo.InvariantCulture));
}
