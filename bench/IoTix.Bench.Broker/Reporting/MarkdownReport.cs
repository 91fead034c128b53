using System.Globalization;
using System.Text;
using IoTix.Bench.Broker.Throughput;

namespace IoTix.Bench.Broker.Reporting;

/// <summary>Renders a run as markdown tables: each metric for IoTix and mosquitto and the ratio IoTix / mosquitto.</summary>
internal static class MarkdownReport
{
    private const string IoTix = "iotix";
    private const string Mosquitto = "mosquitto";
    private const string Bare = "mqttnet";

    public static string Render(BenchReport report)
    {
        var md = new StringBuilder();
        Line(md, $"Run {report.StartedUtc:yyyy-MM-dd HH:mm} UTC, {(report.FinishedUtc - report.StartedUtc).TotalMinutes:F1} min; load average before `{report.LoadAverageBefore}`, after `{report.LoadAverageAfter}`.");
        md.AppendLine();
        RenderConnections(md, report);
        RenderSearch(md, report);
        RenderFixed(md, report);
        RenderConnectLatency(md, report);
        RenderCpu(md, report);
        RenderSteps(md, report);
        RenderClientCost(md, report);
        return md.ToString();
    }

    private static void RenderConnections(StringBuilder md, BenchReport report)
    {
        var i = report.Connections.Find(static c => c.Broker == IoTix);
        var m = report.Connections.Find(static c => c.Broker == Mosquitto);
        if (i is null || m is null)
        {
            return;
        }

        Line(md, $"#### Connections held (SC-002): {i.Target:N0} clients over {i.SourceAddresses} source addresses, held {i.HoldSeconds:F0} s");
        md.AppendLine();
        Header(md, "metric");
        Row(md, "connected", i.Connected, m.Connected, "N0");
        Row(md, "failed connects", i.Failed, m.Failed, "N0");
        Row(md, "connect rate (conn/s)", i.ConnectsPerSecond, m.ConnectsPerSecond, "N0");
        Row(md, "connect p50 (ms)", i.ConnectP50Ms, m.ConnectP50Ms, "F1");
        Row(md, "connect p99 (ms)", i.ConnectP99Ms, m.ConnectP99Ms, "F1");
        Row(md, "broker RSS per connection (KiB)", i.RssPerConnectionKib, m.RssPerConnectionKib, "F1");
        Row(md, "broker RSS with all connected (MiB)", i.RssAfterKib / 1024.0, m.RssAfterKib / 1024.0, "F0");
        Row(md, "broker CPU per connect (ms)", i.BrokerCpuMsPerConnect, m.BrokerCpuMsPerConnect, "F3");
        Row(md, "broker threads", i.BrokerThreads, m.BrokerThreads, "N0");
        Row(md, "dropped during hold", i.DroppedDuringHold, m.DroppedDuringHold, "N0");
        Row(md, "PINGRESP after hold", i.PingsAnswered, m.PingsAnswered, "N0");
        Line(md, $"| round-trip publish on held connections (ms) | {(i.RoundTripOk ? F(i.RoundTripMs, "F1") : "FAILED")} | {(m.RoundTripOk ? F(m.RoundTripMs, "F1") : "FAILED")} | |");
        md.AppendLine();
    }

    private static void RenderSearch(StringBuilder md, BenchReport report)
    {
        if (report.Searches.Count == 0)
        {
            return;
        }

        Line(md, $"#### Highest lossless rate with p99 < {report.Settings.P99LimitMs:F0} ms (SC-003, SC-004): messages/s published ({report.Settings.Publishers} publishers, {report.Settings.PayloadBytes} B payload, {report.Settings.StepSeconds:F0} s steps)");
        md.AppendLine();
        var bare = report.Searches.Exists(static s => s.Broker == Bare);
        Line(md, "| QoS | subscribers | iotix (msg/s in) | mosquitto (msg/s in) | iotix / mosquitto | iotix deliveries/s | first failing step: iotix | first failing step: mosquitto |" + (bare ? " bare MQTTnet (msg/s in) | iotix / bare MQTTnet |" : ""));
        Line(md, "|---|---|---|---|---|---|---|---|" + (bare ? "---|---|" : ""));
        foreach (var i in report.Searches)
        {
            if (i.Broker != IoTix)
            {
                continue;
            }

            var m = report.Searches.Find(s => s.Broker == Mosquitto && s.Qos == i.Qos && s.Subscribers == i.Subscribers);
            if (m is null)
            {
                continue;
            }

            var b = report.Searches.Find(s => s.Broker == Bare && s.Qos == i.Qos && s.Subscribers == i.Subscribers);
            Line(md, $"| {i.Qos} | {i.Subscribers} | {Best(i)} | {Best(m)} | {Ratio(i.BestRate, m.BestRate)} | {(long)i.BestRate * i.Subscribers:N0} | {FirstFailure(i)} | {FirstFailure(m)} |" + (b is null ? "" : $" {Best(b)} | {Ratio(i.BestRate, b.BestRate)} |"));
        }

        md.AppendLine();
    }

    private static string Best(Throughput.SearchResult search) => search.BestRate == 0 ? "< " + search.Steps[0].Rate.ToString("N0", CultureInfo.InvariantCulture) : search.BestRate.ToString("N0", CultureInfo.InvariantCulture);

    private static string FirstFailure(Throughput.SearchResult search)
    {
        var failed = search.Steps.Find(static s => !s.Passed);
        return failed is null ? "none (top step passed)" : $"{failed.Rate:N0}: {failed.Verdict.Replace("FAIL: ", "", StringComparison.Ordinal)}";
    }

    private static void RenderFixed(StringBuilder md, BenchReport report)
    {
        if (report.Fixed.Count == 0)
        {
            return;
        }

        Line(md, $"#### End-to-end latency at a fixed {report.Settings.FixedRate:N0} msg/s, one subscriber, {report.Settings.FixedSeconds:F0} s (SC-005)");
        md.AppendLine();
        var bare = report.Fixed.Exists(static f => f.Broker == Bare);
        Header(md, "QoS / percentile (ms)", bare);
        foreach (var qos in new[] { 0, 1 })
        {
            var i = report.Fixed.Find(f => f.Broker == IoTix && f.Qos == qos)?.Step;
            var m = report.Fixed.Find(f => f.Broker == Mosquitto && f.Qos == qos)?.Step;
            var b = report.Fixed.Find(f => f.Broker == Bare && f.Qos == qos)?.Step;
            if (i is null || m is null)
            {
                continue;
            }

            Row(md, $"QoS {qos} p50", i.P50Ms, m.P50Ms, "F2", b?.P50Ms);
            Row(md, $"QoS {qos} p99", i.P99Ms, m.P99Ms, "F2", b?.P99Ms);
            Row(md, $"QoS {qos} p99.9", i.P999Ms, m.P999Ms, "F2", b?.P999Ms);
            Row(md, $"QoS {qos} max", i.MaxMs, m.MaxMs, "F2", b?.MaxMs);
            Line(md, $"| QoS {qos} verdict | {i.Verdict} | {m.Verdict} | |" + (b is null ? "" : $" {b.Verdict} | |"));
        }

        md.AppendLine();
    }

    private static void RenderConnectLatency(StringBuilder md, BenchReport report)
    {
        if (report.ConnectLatency.Count == 0)
        {
            return;
        }

        Line(md, $"#### New-connection time, MQTTnet 5 client, connect to CONNACK, sequential, {report.Settings.ConnectProbeCount} connects after {report.Settings.ConnectProbeWarmup} warm-up (SC-006)");
        md.AppendLine();
        Header(md, "transport / percentile (ms)");
        foreach (var transport in new[] { "tcp", "tls" })
        {
            var i = report.ConnectLatency.Find(c => c.Broker == IoTix && c.Transport == transport);
            var m = report.ConnectLatency.Find(c => c.Broker == Mosquitto && c.Transport == transport);
            if (i is null || m is null)
            {
                continue;
            }

            Row(md, $"{transport} p50", i.P50Ms, m.P50Ms, "F2");
            Row(md, $"{transport} p99", i.P99Ms, m.P99Ms, "F2");
            Row(md, $"{transport} max", i.MaxMs, m.MaxMs, "F2");
            Row(md, $"{transport} failed", i.Failed, m.Failed, "N0");
        }

        md.AppendLine();
    }

    private static void RenderCpu(StringBuilder md, BenchReport report)
    {
        Line(md, "#### Broker CPU time per message (utime+stime from /proc, µs per published message; per delivery in brackets)");
        md.AppendLine();
        var bare = report.Fixed.Exists(static f => f.Broker == Bare) || report.Searches.Exists(static s => s.Broker == Bare);
        Header(md, "load", bare);
        foreach (var qos in new[] { 0, 1 })
        {
            var i = report.Fixed.Find(f => f.Broker == IoTix && f.Qos == qos)?.Step;
            var m = report.Fixed.Find(f => f.Broker == Mosquitto && f.Qos == qos)?.Step;
            var b = report.Fixed.Find(f => f.Broker == Bare && f.Qos == qos)?.Step;
            if (i is not null && m is not null)
            {
                Row(md, $"QoS {qos}, 1 subscriber, {i.Rate:N0}/s (fixed)", i.BrokerCpuUsPerMessage, m.BrokerCpuUsPerMessage, "F2", b?.BrokerCpuUsPerMessage);
            }
        }

        foreach (var i in report.Searches)
        {
            if (i.Broker != IoTix)
            {
                continue;
            }

            var m = report.Searches.Find(s => s.Broker == Mosquitto && s.Qos == i.Qos && s.Subscribers == i.Subscribers);
            if (m is null)
            {
                continue;
            }

            // Compare at the highest rate both passed (same work done by both), else at the lowest step.
            StepResult? si = null, sm = null;
            for (var k = i.Steps.Count - 1; k >= 0 && sm is null; k--)
            {
                var candidate = i.Steps[k];
                var other = m.Steps.Find(s => s.Rate == candidate.Rate && s.Passed);
                if (candidate.Passed && other is not null)
                {
                    (si, sm) = (candidate, other);
                }
            }

            si ??= i.Steps[0];
            sm ??= m.Steps.Find(s => s.Rate == si.Rate);
            var rate = si.Rate;
            var sb = report.Searches.Find(s => s.Broker == Bare && s.Qos == i.Qos && s.Subscribers == i.Subscribers)?.Steps.Find(s => s.Rate == rate);
            if (sm is null)
            {
                continue;
            }

            Row(md, $"QoS {i.Qos}, {i.Subscribers} subscriber(s), {rate:N0}/s (search step{(si.Passed && sm.Passed ? "" : ", not passed by both")})", si.BrokerCpuUsPerMessage, sm.BrokerCpuUsPerMessage, "F2", sb?.BrokerCpuUsPerMessage);
        }

        md.AppendLine();
    }

    private static void RenderSteps(StringBuilder md, BenchReport report)
    {
        if (report.Searches.Count == 0)
        {
            return;
        }

        Line(md, "<details><summary>Every search step</summary>");
        md.AppendLine();
        Line(md, "| broker | QoS | subs | rate/s | sent | min received | send s | p50 ms | p99 ms | max ms | broker CPU µs/msg | generator CPU µs/delivery | other processes (cores) | verdict |");
        Line(md, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var search in report.Searches)
        {
            foreach (var s in search.Steps)
            {
                Line(md, $"| {search.Broker} | {search.Qos} | {search.Subscribers} | {s.Rate:N0} | {s.Sent:N0} | {s.MinReceived:N0} | {s.SendSeconds:F2} | {F(s.P50Ms, "F2")} | {F(s.P99Ms, "F1")} | {F(s.MaxMs, "F1")} | {s.BrokerCpuUsPerMessage:F2} | {s.BenchCpuUsPerDelivery:F2} | {s.OtherCores:F2} | {s.Verdict} |");
            }
        }

        md.AppendLine();
        Line(md, "</details>");
        md.AppendLine();
    }

    private static void RenderClientCost(StringBuilder md, BenchReport report)
    {
        foreach (var cost in report.ClientCost)
        {
            var lean = report.Searches.Find(s => s.Broker == cost.Broker && s.Qos == 0 && s.Subscribers == 1)?.Steps.Find(s => s.Rate == cost.Rate);
            Line(md, $"#### Generator cost: lean client vs MQTTnet 5 client (QoS 0, 1 publisher/1 subscriber, {cost.Rate:N0}/s against {cost.Broker})");
            md.AppendLine();
            Line(md, "| client | achieved rate (msg/s) | received | generator CPU µs/msg |");
            Line(md, "|---|---|---|---|");
            Line(md, $"| MQTTnet 5 | {cost.AchievedRate:N0} | {cost.Received:N0} / {cost.Sent:N0} | {cost.BenchCpuUsPerMessage:F2} |");
            if (lean is not null)
            {
                Line(md, $"| lean (this harness) | {lean.Sent / lean.SendSeconds:N0} | {lean.MinReceived:N0} / {lean.Sent:N0} | {lean.BenchCpuUsPerDelivery:F2} |");
            }

            md.AppendLine();
        }
    }

    private static void Header(StringBuilder md, string first, bool bare = false)
    {
        Line(md, $"| {first} | iotix | mosquitto | iotix / mosquitto |" + (bare ? " bare MQTTnet | iotix / bare MQTTnet |" : ""));
        Line(md, "|---|---|---|---|" + (bare ? "---|---|" : ""));
    }

    private static void Row(StringBuilder md, string name, double iotix, double mosquitto, string format, double? bare = null) =>
        Line(md, $"| {name} | {F(iotix, format)} | {F(mosquitto, format)} | {Ratio(iotix, mosquitto)} |" + (bare is double b ? $" {F(b, format)} | {Ratio(iotix, b)} |" : ""));

    private static string Ratio(double a, double b) => b == 0 || double.IsNaN(a) || double.IsNaN(b) ? "–" : (a / b).ToString("F2", CultureInfo.InvariantCulture);

    private static string F(double value, string format) => double.IsNaN(value) ? "–" : value.ToString(format, CultureInfo.InvariantCulture);

    private static void Line(StringBuilder md, string text) => md.Append(text).Append('\n');
}
