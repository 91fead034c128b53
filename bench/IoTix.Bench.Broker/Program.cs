using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using IoTix.Bench.Broker;
using IoTix.Bench.Broker.Connections;
using IoTix.Bench.Broker.Reporting;
using IoTix.Bench.Broker.Throughput;
using IoTix.Bench.Broker.Tls;

// IoTix broker vs mosquitto, same load generator, same run. Started by bench/broker-bench.sh, which builds and
// starts both brokers and passes their endpoints and pids:
//   --iotix-tcp 127.0.0.1:P --iotix-tls 127.0.0.1:P --iotix-pid N --mosquitto-tcp ... --mosquitto-tls ... --mosquitto-pid N
//   --ca ca.crt --out DIR [--phases tls,connections,fixed,search,clientcost] [--connections 10000] [--rates 10000,20000] ...
if (args is ["shadow-sync", var shadowMqtt, var shadowCount, ..])
{
    // SC-008: bench/shadow-bench.sh; optional third argument: the API base URL (also measures PATCH /api/v1/shadows).
    return await IoTix.Bench.Broker.Shadows.ShadowSyncProbe.RunAsync(shadowMqtt, args.Length > 3 ? args[3] : null, int.Parse(shadowCount, CultureInfo.InvariantCulture));
}

if (args is ["serve-mqttnet", var servePort])
{
    return await IoTix.Bench.Broker.Baseline.BareMqttNetServer.RunAsync(int.Parse(servePort, CultureInfo.InvariantCulture));
}

var args2 = ParseArgs(args);
var settings = new BenchSettings();
settings.Apply(args2);
var outDir = args2.GetValueOrDefault("out", ".");
Directory.CreateDirectory(outDir);
using var ca = args2.TryGetValue("ca", out var caPath) ? X509CertificateLoader.LoadCertificateFromFile(caPath) : null;
var brokers = new[] { Target("iotix"), Target("mosquitto") };
// Optional third broker for the message phases: bare MQTTnet server (serve-mqttnet), to split IoTix's cost from MQTTnet's.
BrokerTarget[] messageBrokers = args2.ContainsKey("mqttnettcp") ? [.. brokers, Target("mqttnet")] : brokers;
var report = new BenchReport { Settings = settings, StartedUtc = DateTime.UtcNow, LoadAverageBefore = File.ReadAllText("/proc/loadavg").Trim() };
var phases = new HashSet<string>(settings.Phases, StringComparer.OrdinalIgnoreCase);

if (phases.Contains("tls"))
{
    Console.WriteLine("== Connect latency (MQTTnet client, sequential)");
    var probe = new ConnectLatencyProbe(settings);
    foreach (var broker in brokers)
    {
        report.ConnectLatency.Add(await probe.MeasureAsync(broker.Name, broker.Tcp, null));
        if (broker.Tls is not null && ca is not null)
        {
            report.ConnectLatency.Add(await probe.MeasureAsync(broker.Name, broker.Tls, ca));
        }
    }
}

if (phases.Contains("connections"))
{
    Console.WriteLine($"== Connections held ({settings.Connections} over {settings.SourceAddresses} source addresses)");
    foreach (var broker in brokers)
    {
        report.Connections.Add(await new ConnectionHold(settings).RunAsync(broker));
    }
}

var search = new RateSearch(settings);
if (phases.Contains("fixed"))
{
    Console.WriteLine($"== Fixed rate {settings.FixedRate}/s for {settings.FixedSeconds} s, one subscriber");
    foreach (var qos in new[] { 0, 1 })
    {
        foreach (var broker in Ordered(messageBrokers, qos))
        {
            report.Fixed.Add(new FixedResult(broker.Name, qos, search.Fixed(broker, qos, 1, settings.FixedRate, settings.FixedSeconds)));
        }
    }
}

if (phases.Contains("search"))
{
    Console.WriteLine("== Lossless rate search");
    var fanOut = settings.FanOutSubscribers;
    var configurations = Array.ConvertAll(settings.Searches, search =>
    {
        var parts = search.Split(':');
        return (Qos: int.Parse(parts[0], CultureInfo.InvariantCulture), Subscribers: parts[1] == "fan" ? fanOut : int.Parse(parts[1], CultureInfo.InvariantCulture));
    });
    for (var c = 0; c < configurations.Length; c++)
    {
        foreach (var broker in Ordered(messageBrokers, c))
        {
            report.Searches.Add(search.Search(broker, configurations[c].Qos, configurations[c].Subscribers, configurations[c].Subscribers == 1 ? settings.Rates : settings.RatesFanOut));
        }
    }
}

if (phases.Contains("clientcost"))
{
    Console.WriteLine("== Generator cost with MQTTnet clients instead of the lean client");
    report.ClientCost.Add(await new ClientCostProbe().MeasureAsync(brokers[1], settings.ClientCostRate, 3, settings.PayloadBytes));
}

report.LoadAverageAfter = File.ReadAllText("/proc/loadavg").Trim();
report.FinishedUtc = DateTime.UtcNow;
await File.WriteAllTextAsync(Path.Combine(outDir, "results.json"), JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
await File.WriteAllTextAsync(Path.Combine(outDir, "results.md"), MarkdownReport.Render(report));
Console.WriteLine($"Results: {Path.Combine(outDir, "results.md")}");
return 0;

BrokerTarget Target(string name)
{
    var tls = args2.TryGetValue($"{name}tls", out var t) ? IPEndPoint.Parse(t) : null;
    return new BrokerTarget(name, IPEndPoint.Parse(args2[$"{name}tcp"]), tls, new ProcessStats(int.Parse(args2[$"{name}pid"], CultureInfo.InvariantCulture)));
}

// Alternate which broker goes first so a drift in background load does not always favour the same one.
static BrokerTarget[] Ordered(BrokerTarget[] brokers, int round)
{
    var copy = (BrokerTarget[])brokers.Clone();
    if (round % 2 == 1)
    {
        Array.Reverse(copy);
    }

    return copy;
}

static Dictionary<string, string> ParseArgs(string[] args)
{
    var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
    for (var i = 0; i + 1 < args.Length; i += 2)
    {
        result[args[i].TrimStart('-').Replace("-", "", StringComparison.Ordinal).ToLowerInvariant()] = args[i + 1];
    }

    return result;
}
