using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using HdrHistogram;
using MQTTnet;
using MQTTnet.Formatter;

namespace IoTix.Bench.Broker.Tls;

internal sealed record ConnectLatency(string Broker, string Transport, int Count, int Failed, string? FirstError, double P50Ms, double P99Ms, double MaxMs);

/// <summary>
/// SC-006: time from "connect" to CONNACK for a new MQTTnet client (TCP connect, TLS handshake with chain validation
/// against the bench CA, MQTT CONNECT/CONNACK), one connection at a time, on a warmed-up client process.
/// </summary>
internal sealed class ConnectLatencyProbe(BenchSettings settings)
{
    private readonly MqttClientFactory _factory = new();

    public async Task<ConnectLatency> MeasureAsync(string broker, IPEndPoint endpoint, X509Certificate2? trustedCa, CancellationToken cancellationToken = default)
    {
        var histogram = new LongHistogram(60_000_000, 3);
        var failed = 0;
        string? firstError = null;
        var total = settings.ConnectProbeCount + settings.ConnectProbeWarmup;
        for (var i = 0; i < total; i++)
        {
            // Rotate over source addresses 127.0.0.2.. so the broker's per-IP connection rate limit (IoTix default
            // 100/s) does not turn sequential connects into a queue: this measures the handshake, not the limiter.
            var source = new IPAddress([127, 0, 0, (byte)(2 + (i % settings.SourceAddresses))]);
            var builder = new MqttClientOptionsBuilder()
                .WithEndPoint(endpoint)
                .WithTcpServer(o => o.LocalEndpoint = new IPEndPoint(source, 0))
                .WithClientId($"bench-connect-{i}")
                .WithProtocolVersion(MqttProtocolVersion.V311)
                .WithTimeout(TimeSpan.FromSeconds(5));
            if (trustedCa is not null)
            {
                builder.WithTlsOptions(o => o
                    .WithTargetHost("localhost")
                    .WithTrustChain([trustedCa])
                    .WithRevocationMode(X509RevocationMode.NoCheck));
            }

            var options = builder.Build();
            using var client = _factory.CreateMqttClient();
            var began = Stopwatch.GetTimestamp();
            try
            {
                await client.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
                var micros = (Stopwatch.GetTimestamp() - began) * 1_000_000 / Stopwatch.Frequency;
                if (i >= settings.ConnectProbeWarmup)
                {
                    histogram.RecordValue(Math.Min(micros, 60_000_000));
                }

                await client.DisconnectAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failed++;
                firstError ??= exception.GetBaseException().Message;
            }
        }

        var transport = trustedCa is null ? "tcp" : "tls";
        var result = new ConnectLatency(
            broker,
            transport,
            (int)histogram.TotalCount,
            failed,
            firstError,
            histogram.TotalCount == 0 ? double.NaN : histogram.GetValueAtPercentile(50) / 1000.0,
            histogram.TotalCount == 0 ? double.NaN : histogram.GetValueAtPercentile(99) / 1000.0,
            histogram.TotalCount == 0 ? double.NaN : histogram.GetValueAtPercentile(100) / 1000.0);
        Console.WriteLine($"  {broker,-9} {transport}: p50 {result.P50Ms:F2} ms, p99 {result.P99Ms:F2} ms, max {result.MaxMs:F2} ms ({failed} failed{(firstError is null ? "" : ": " + firstError)})");
        return result;
    }
}
