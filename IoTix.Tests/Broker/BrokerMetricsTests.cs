using System.Globalization;
using IoTix.Broker.Observability;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;
using Prometheus;

namespace IoTix.Tests.Broker;

public sealed class BrokerMetricsTests
{
    [Fact]
    public async Task Metrics_endpoint_reports_the_broker_snapshot_per_listener()
    {
        await using var broker = await BrokerInstance.StartAsync();
        using var client = await broker.ConnectAsync("metrics-exact");
        for (var i = 0; i < 3; i++)
        {
            await client.PublishStringAsync("metrics/exact", "x", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{broker.HttpPort}") };

        var text = await http.GetStringAsync("/metrics");

        var snapshot = broker.Services.GetRequiredService<IBrokerMetrics>().GetSnapshot();
        Assert.Equal(3, Sample(text, "iotix_broker_messages_received_total{listener=\"tcp\"}"));
        Assert.Equal(1, Sample(text, "iotix_broker_connections{listener=\"tcp\"}"));
        Assert.Equal(snapshot.Listeners[0].ConnectionsTotal, Sample(text, "iotix_broker_connections_total{listener=\"tcp\"}"));
        Assert.Contains("# TYPE iotix_broker_messages_received_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE iotix_broker_retained_messages gauge", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE iotix_broker_persistence_skipped_total counter", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Broker_metrics_live_in_the_hosts_registry_not_the_process_wide_default()
    {
        await using var broker = await BrokerInstance.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{broker.HttpPort}") };
        _ = await http.GetStringAsync("/metrics");
        using var stream = new MemoryStream();

        await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(stream);

        Assert.DoesNotContain("iotix_broker", System.Text.Encoding.UTF8.GetString(stream.ToArray()), StringComparison.Ordinal);
        Assert.NotSame(Metrics.DefaultRegistry, broker.Services.GetRequiredService<CollectorRegistry>());
    }

    private static double Sample(string exposition, string series)
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line.AsSpan(series.Length + 1), CultureInfo.InvariantCulture);
            }
        }

        throw new Xunit.Sdk.XunitException($"series {series} not found in:\n{exposition}");
    }
}
