using System.CommandLine;

namespace IoTix.Bench.Scale;

/// <summary>The commands of the "Simulator at scale" benchmark (bench/sim-scale.sh drives them).</summary>
internal static class ScaleCommands
{
    public static IEnumerable<Command> Create()
    {
        var protocol = new Option<string>("--protocol") { Description = "mqtt, coap or http", DefaultValueFactory = _ => "mqtt" };
        var devices = new Option<int>("--devices") { Description = "Devices in this process", DefaultValueFactory = _ => 1000 };
        var shard = new Option<int>("--shard") { Description = "Shard index (device ids s{shard}-{index}, client ids unique across processes)", DefaultValueFactory = _ => 0 };
        var host = new Option<string>("--host") { Description = "Broker address", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Broker port", DefaultValueFactory = _ => 1883 };
        var url = new Option<string?>("--url") { Description = "CoAP/HTTP telemetry URL (patterns allowed)" };
        var method = new Option<string>("--method") { Description = "CoAP/HTTP method", DefaultValueFactory = _ => "POST" };
        var qos = new Option<int>("--qos") { Description = "Telemetry QoS (CoAP: 0 NON, 1 CON)", DefaultValueFactory = _ => 1 };
        var interval = new Option<int>("--interval-ms") { Description = "Telemetry interval", DefaultValueFactory = _ => 10_000 };
        var local = new Option<string>("--local-addresses") { Description = "Comma-separated source addresses", DefaultValueFactory = _ => "" };
        var launch = new Option<string>("--launch") { Description = "immediate | batch:SIZE:DELAYMS | linear:DELAYMS", DefaultValueFactory = _ => "immediate" };
        var connectTimeout = new Option<int>("--connect-timeout-ms") { Description = "IoTix:Simulation:Mqtt:ConnectTimeoutMs", DefaultValueFactory = _ => 10_000 };
        var hold = new Option<int>("--hold-seconds") { Description = "Hold after all devices connected", DefaultValueFactory = _ => 300 };
        var warm = new Option<int>("--warm-seconds") { Description = "Start of the CPU window after all connected", DefaultValueFactory = _ => 20 };
        var sample = new Option<int>("--sample-seconds") { Description = "Progress line every N seconds", DefaultValueFactory = _ => 10 };
        var result = new Option<string?>("--result") { Description = "Write the summary JSON here" };
        var concurrency = new Option<int>("--connect-concurrency") { Description = "MQTTnet peer: connects in flight", DefaultValueFactory = _ => 1000 };

        var sim = new Command("sim", "IoTix engine + real adapter against a real server: connect rate, drops, RSS/device, CPU, counters.")
        {
            protocol, devices, shard, host, port, url, method, qos, interval, local, launch, connectTimeout, hold, warm, sample, result,
        };
        sim.SetAction((r, _) => SimulatorRun.RunAsync(
            new SimulatorSettings(
                r.GetValue(protocol)!, r.GetValue(devices), r.GetValue(shard), r.GetValue(host)!, r.GetValue(port), r.GetValue(url),
                r.GetValue(method)!, r.GetValue(qos), r.GetValue(interval), Split(r.GetValue(local)), r.GetValue(launch)!, r.GetValue(connectTimeout),
                r.GetValue(hold), r.GetValue(warm), r.GetValue(sample), r.GetValue(result)),
            Console.Out));

        var peer = new Command("mqttnet-devices", "Peer: one MQTTnet IMqttClient per device, a timer per device, JsonSerializer payloads.")
        {
            devices, shard, host, port, qos, interval, local, concurrency, hold, warm, sample, result,
        };
        peer.SetAction((r, _) => MqttNetDevicesRun.RunAsync(
            r.GetValue(devices), r.GetValue(shard), r.GetValue(host)!, r.GetValue(port), r.GetValue(qos), r.GetValue(interval),
            Split(r.GetValue(local)), r.GetValue(concurrency), r.GetValue(hold), r.GetValue(warm), r.GetValue(sample), r.GetValue(result), Console.Out));

        var connections = new Option<int>("--connections") { Description = "Publisher connections", DefaultValueFactory = _ => 1 };
        var payload = new Option<int>("--payload-bytes") { Description = "Payload size", DefaultValueFactory = _ => 110 };
        var seconds = new Option<int>("--seconds") { Description = "Run time", DefaultValueFactory = _ => 20 };
        var blast = new Command("mqttnet-blast", "Reference publisher: MQTTnet PublishAsync in a tight loop on N connections.")
        {
            connections, host, port, qos, payload, seconds, result,
        };
        blast.SetAction((r, _) => MqttNetBlastRun.RunAsync(
            r.GetValue(connections), r.GetValue(host)!, r.GetValue(port), r.GetValue(qos), r.GetValue(payload), r.GetValue(seconds), r.GetValue(result), Console.Out));

        var brokers = new Option<string>("--brokers") { Description = "Comma-separated host:port list", DefaultValueFactory = _ => "127.0.0.1:1883" };
        var filter = new Option<string>("--filter") { Description = "Topic filter", DefaultValueFactory = _ => "devices/#" };
        var status = new Option<string?>("--status-file") { Description = "Rewritten every second with the totals" };
        var sub = new Command("count-sub", "Lean counting subscriber on one or more brokers.")
        {
            brokers, filter, qos, seconds, status,
        };
        sub.SetAction((r, _) => CountingSubscriber.RunAsync(
            Split(r.GetValue(brokers)), r.GetValue(filter)!, r.GetValue(qos), r.GetValue(seconds), r.GetValue(status), Console.Out));

        var sink = new Command("http-sink", "Minimal Kestrel endpoint answering 204, counting requests.") { port, seconds, status };
        sink.SetAction((r, _) => HttpSink.RunAsync(r.GetValue(port), r.GetValue(seconds), r.GetValue(status), Console.Out));

        return [sim, peer, blast, sub, sink];
    }

    private static string[] Split(string? list) =>
        string.IsNullOrWhiteSpace(list) ? [] : list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
