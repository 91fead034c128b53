using System.Diagnostics;
using HdrHistogram;
using IoTix.Bench.Broker.Wire;

namespace IoTix.Bench.Broker.Throughput;

/// <summary>Result of one fixed-rate step against one broker.</summary>
internal sealed record StepResult(
    int Rate,
    long Planned,
    long Sent,
    long MinReceived,
    int Subscribers,
    double SendSeconds,
    double P50Ms,
    double P99Ms,
    double P999Ms,
    double MaxMs,
    double BrokerCpuMs,
    double BrokerCpuUsPerMessage,
    double BrokerCpuUsPerDelivery,
    double BenchCpuUsPerDelivery,
    double OtherCores,
    bool Passed,
    string Verdict);

internal sealed record SearchResult(string Broker, int Qos, int Subscribers, int BestRate, List<StepResult> Steps);

/// <summary>
/// Stepped rate search: fresh publishers and subscribers per search, a short warm-up, then steps of increasing rate
/// until one fails. A step passes when every message reached every subscriber (lossless), the publishers kept the
/// schedule (within 10 %), and p99 end-to-end latency stayed under the limit.
/// </summary>
internal sealed class RateSearch(BenchSettings settings)
{
    private static int s_session;

    public SearchResult Search(BrokerTarget target, int qos, int subscribers, IReadOnlyList<int> rates)
    {
        var steps = new List<StepResult>();
        var best = 0;
        int? failed = null;
        using (var session = LoadSession.Open(target, qos, subscribers, settings, rates.Count + 1))
        {
            session.Run(0, settings.WarmupRate, settings.WarmupSeconds, settings);
            for (var i = 0; i < rates.Count; i++)
            {
                var result = session.Run(i + 1, rates[i], settings.StepSeconds, settings);
                steps.Add(Print(target, qos, subscribers, result));
                if (!result.Passed)
                {
                    failed = rates[i];
                    break;
                }

                best = rates[i];
                Thread.Sleep(300);
            }
        }

        // Bisect between the last passing and the first failing step, each try on fresh connections (a failed
        // step leaves queues behind in the broker).
        for (var i = 0; i < settings.RefineSteps && failed is int high; i++)
        {
            var rate = (int)Math.Round((best + high) / 2000.0) * 1000;
            if (rate <= best || rate >= high)
            {
                break;
            }

            Thread.Sleep(1000);
            using var session = LoadSession.Open(target, qos, subscribers, settings, 2);
            session.Run(0, Math.Min(settings.WarmupRate, rate), settings.WarmupSeconds, settings);
            var result = session.Run(1, rate, settings.StepSeconds, settings);
            steps.Add(Print(target, qos, subscribers, result));
            if (result.Passed)
            {
                best = rate;
            }
            else
            {
                failed = rate;
            }
        }

        Thread.Sleep(1000);
        steps.Sort(static (a, b) => a.Rate.CompareTo(b.Rate));
        return new SearchResult(target.Name, qos, subscribers, best, steps);
    }

    private static StepResult Print(BrokerTarget target, int qos, int subscribers, StepResult result)
    {
        Console.WriteLine($"  {target.Name,-9} qos{qos} subs={subscribers,-2} {result.Rate,7}/s -> {result.Verdict} (p99 {result.P99Ms:F1} ms, broker {result.BrokerCpuUsPerMessage:F1} us/msg)");
        return result;
    }

    public StepResult Fixed(BrokerTarget target, int qos, int subscribers, int rate, double seconds)
    {
        using var session = LoadSession.Open(target, qos, subscribers, settings, 2);
        session.Run(0, settings.WarmupRate, settings.WarmupSeconds, settings);
        var result = session.Run(1, rate, seconds, settings);
        Console.WriteLine($"  {target.Name,-9} qos{qos} subs={subscribers} fixed {rate}/s -> {result.Verdict} (p50 {result.P50Ms:F2} p99 {result.P99Ms:F2} ms)");
        Thread.Sleep(500);
        return result;
    }

    private sealed class LoadSession : IDisposable
    {
        private readonly List<Publisher> _publishers = [];
        private readonly List<Subscriber> _subscribers = [];
        private readonly BrokerTarget _target;
        private readonly int _qos;

        private LoadSession(BrokerTarget target, int qos)
        {
            _target = target;
            _qos = qos;
        }

        public static LoadSession Open(BrokerTarget target, int qos, int subscribers, BenchSettings settings, int steps)
        {
            var id = Interlocked.Increment(ref s_session);
            var session = new LoadSession(target, qos);
            try
            {
                var prefix = $"bench/{Environment.ProcessId}-{id}";
                for (var i = 0; i < subscribers; i++)
                {
                    var client = LeanClient.Connect(target.Tcp, $"bench-sub-{id}-{i}", TimeSpan.FromSeconds(10));
                    client.Subscribe(prefix + "/#", qos);
                    session._subscribers.Add(new Subscriber(client, steps));
                }

                for (var i = 0; i < settings.Publishers; i++)
                {
                    var client = LeanClient.Connect(target.Tcp, $"bench-pub-{id}-{i}", TimeSpan.FromSeconds(10));
                    session._publishers.Add(new Publisher(client, i, $"{prefix}/p{i}", qos, settings.PayloadBytes));
                }
            }
            catch
            {
                session.Dispose();
                throw;
            }

            return session;
        }

        public StepResult Run(int step, int rate, double seconds, BenchSettings settings)
        {
            var publishers = _publishers.Count;
            var perPublisher = (long)Math.Round(rate * seconds / publishers);
            var planned = perPublisher * publishers;
            var giveUp = TimeSpan.FromSeconds(seconds * 1.5 + 1);
            var results = new (long Sent, double Seconds)[publishers];
            var cpuBefore = _target.Process.CpuMilliseconds();
            var machineBefore = MachineCpu.BusyMilliseconds();
            var wallBefore = Stopwatch.GetTimestamp();
            var benchBefore = Process.GetCurrentProcess().TotalProcessorTime;

            var threads = new Thread[publishers];
            for (var i = 0; i < publishers; i++)
            {
                var index = i;
                threads[i] = new Thread(() => results[index] = _publishers[index].Send(step, (double)rate / publishers, perPublisher, giveUp)) { Name = "bench-publisher" };
                threads[i].Start();
            }

            foreach (var thread in threads)
            {
                thread.Join();
            }

            long sent = 0;
            double sendSeconds = 0;
            foreach (var (s, t) in results)
            {
                sent += s;
                sendSeconds = Math.Max(sendSeconds, t);
            }

            // Drain: every subscriber has every message (and every PUBACK is back), or the drain time is over.
            var drainUntil = Stopwatch.GetTimestamp() + (long)(settings.DrainSeconds * Stopwatch.Frequency);
            long minReceived;
            while (true)
            {
                minReceived = MinReceived(step);
                var acked = true;
                foreach (var publisher in _publishers)
                {
                    acked &= _qos == 0 || publisher.Acked >= publisher.Sequence;
                }

                if ((minReceived >= sent && acked) || Stopwatch.GetTimestamp() > drainUntil)
                {
                    break;
                }

                Thread.Sleep(10);
            }

            var cpuMs = _target.Process.CpuMilliseconds() - cpuBefore;
            var benchMs = (Process.GetCurrentProcess().TotalProcessorTime - benchBefore).TotalMilliseconds;
            var wallMs = Stopwatch.GetElapsedTime(wallBefore).TotalMilliseconds;
            var otherCores = Math.Max(0, MachineCpu.BusyMilliseconds() - machineBefore - cpuMs - benchMs) / wallMs;
            var latency = new LongHistogram(Subscriber.HighestLatencyMicros, 3);
            var disconnected = false;
            foreach (var subscriber in _subscribers)
            {
                latency.Add(subscriber.Latency(step));
                disconnected |= subscriber.Closed;
            }

            var publisherFailed = false;
            foreach (var publisher in _publishers)
            {
                publisherFailed |= publisher.Failed;
            }

            var deliveries = (double)sent * _subscribers.Count;
            var p99 = Percentile(latency, 99);
            string verdict;
            if (disconnected || publisherFailed)
            {
                verdict = "FAIL: connection closed";
            }
            else if (sent < planned || sendSeconds > seconds * 1.1)
            {
                verdict = $"FAIL: rate not sustained ({sent / sendSeconds:F0}/s)";
            }
            else if (minReceived < sent)
            {
                verdict = $"FAIL: lost {sent - minReceived} of {sent} (slowest subscriber)";
            }
            else if (p99 >= settings.P99LimitMs)
            {
                verdict = $"FAIL: p99 {p99:F1} ms";
            }
            else
            {
                verdict = "pass";
            }

            return new StepResult(
                rate,
                planned,
                sent,
                minReceived,
                _subscribers.Count,
                sendSeconds,
                Percentile(latency, 50),
                p99,
                Percentile(latency, 99.9),
                Percentile(latency, 100),
                cpuMs,
                sent == 0 ? 0 : cpuMs * 1000 / sent,
                deliveries == 0 ? 0 : cpuMs * 1000 / deliveries,
                deliveries == 0 ? 0 : benchMs * 1000 / deliveries,
                otherCores,
                verdict == "pass",
                verdict);
        }

        private long MinReceived(int step)
        {
            var min = long.MaxValue;
            foreach (var subscriber in _subscribers)
            {
                min = Math.Min(min, subscriber.Received(step));
            }

            return min;
        }

        private static double Percentile(LongHistogram histogram, double percentile) =>
            histogram.TotalCount == 0 ? double.NaN : histogram.GetValueAtPercentile(percentile) / 1000.0;

        public void Dispose()
        {
            foreach (var publisher in _publishers)
            {
                publisher.Dispose();
            }

            foreach (var subscriber in _subscribers)
            {
                subscriber.Dispose();
            }
        }
    }
}
