using System.Globalization;
using System.Net;

namespace IoTix.Bench.Broker;

/// <summary>One broker under test: its plain and TLS listeners and its process (for CPU and memory).</summary>
internal sealed record BrokerTarget(string Name, IPEndPoint Tcp, IPEndPoint? Tls, ProcessStats Process);

/// <summary>Knobs of a run; every phase is bounded in count and time.</summary>
internal sealed class BenchSettings
{
    public int Connections { get; set; } = 10_000;
    public int SourceAddresses { get; set; } = 100;
    public int ConnectConcurrency { get; set; } = 64;
    public double RampLimitSeconds { get; set; } = 60;
    public double HoldSeconds { get; set; } = 10;

    public int Publishers { get; set; } = 4;
    public int PayloadBytes { get; set; } = 100;
    public double StepSeconds { get; set; } = 3;
    public double DrainSeconds { get; set; } = 3;
    public int WarmupRate { get; set; } = 5_000;
    public double WarmupSeconds { get; set; } = 1;
    public double P99LimitMs { get; set; } = 50;
    public int[] Rates { get; set; } = [10_000, 20_000, 40_000, 60_000, 80_000, 100_000, 125_000, 150_000];
    public int[] RatesFanOut { get; set; } = [2_000, 5_000, 10_000, 20_000, 40_000, 60_000, 80_000, 100_000];
    public int FanOutSubscribers { get; set; } = 10;
    public int RefineSteps { get; set; } = 2;
    public int FixedRate { get; set; } = 10_000;
    public double FixedSeconds { get; set; } = 10;

    public int ConnectProbeCount { get; set; } = 200;
    public int ConnectProbeWarmup { get; set; } = 10;
    public int ClientCostRate { get; set; } = 20_000;

    public string[] Phases { get; set; } = ["tls", "connections", "fixed", "search", "clientcost"];

    /// <summary>Rate searches to run, as QoS:subscribers ("fan" = <see cref="FanOutSubscribers"/>), e.g. `--searches 1:1`.</summary>
    public string[] Searches { get; set; } = ["0:1", "0:fan", "1:1", "1:fan"];

    /// <summary>Applies `--name value` pairs whose names match a property (case-insensitive, dashes ignored).</summary>
    public void Apply(IReadOnlyDictionary<string, string> args)
    {
        foreach (var property in typeof(BenchSettings).GetProperties())
        {
            if (!args.TryGetValue(property.Name.ToLowerInvariant(), out var value))
            {
                continue;
            }

            object parsed = property.PropertyType == typeof(int) ? int.Parse(value, CultureInfo.InvariantCulture)
                : property.PropertyType == typeof(double) ? double.Parse(value, CultureInfo.InvariantCulture)
                : property.PropertyType == typeof(int[]) ? Array.ConvertAll(value.Split(','), s => int.Parse(s, CultureInfo.InvariantCulture))
                : value.Split(',');
            property.SetValue(this, parsed);
        }
    }
}
