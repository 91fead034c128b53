using System.CommandLine;
using IoTix.Bench.Core;
using IoTix.Bench.Scale;

var devices = new Option<int>("--devices") { Description = "Simulated devices", DefaultValueFactory = _ => 1_000_000 };
var interval = new Option<int>("--interval-ms") { Description = "Telemetry interval of every item", DefaultValueFactory = _ => 10_000 };
var seconds = new Option<int>("--seconds") { Description = "Length of the measured steady-state window", DefaultValueFactory = _ => 30 };
var peer = new Option<bool>("--peer") { Description = "Also measure the naive peer (a timer per device, JsonSerializer payloads)" };

var core = new Command("core", "The simulation core alone, without a network: scheduler, generators, payloads.") { devices, interval, seconds, peer };
core.SetAction((result, cancellationToken) => CoreBenchmark.RunAsync(
    result.GetValue(devices), result.GetValue(interval), result.GetValue(seconds), result.GetValue(peer), Console.Out));

var root = new RootCommand("IoTix benchmarks; results go to docs/benchmarks.md.") { core };
foreach (var command in ScaleCommands.Create())
{
    root.Add(command);
}

return await root.Parse(args).InvokeAsync();
