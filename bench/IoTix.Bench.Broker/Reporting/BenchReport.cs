using IoTix.Bench.Broker.Connections;
using IoTix.Bench.Broker.Throughput;
using IoTix.Bench.Broker.Tls;

namespace IoTix.Bench.Broker.Reporting;

internal sealed record FixedResult(string Broker, int Qos, StepResult Step);

/// <summary>Everything one run measured; written as results.json and rendered as results.md.</summary>
internal sealed class BenchReport
{
    public required BenchSettings Settings { get; init; }
    public DateTime StartedUtc { get; init; }
    public DateTime FinishedUtc { get; set; }
    public string LoadAverageBefore { get; init; } = "";
    public string LoadAverageAfter { get; set; } = "";
    public List<ConnectLatency> ConnectLatency { get; } = [];
    public List<HoldResult> Connections { get; } = [];
    public List<FixedResult> Fixed { get; } = [];
    public List<SearchResult> Searches { get; } = [];
    public List<ClientCost> ClientCost { get; } = [];
}
