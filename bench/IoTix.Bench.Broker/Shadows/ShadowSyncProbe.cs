using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using HdrHistogram;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Bench.Broker.Shadows;

/// <summary>
/// SC-008: time from a desired-state update to the delta arriving at the device. A device client subscribes to its
/// delta topic; the update is sent either over MQTT (a backend client publishing to <c>.../shadow/update</c>) or
/// through the REST API (<c>PATCH /api/v1/shadows/{id}</c>). One update at a time (latency, not throughput), each to
/// a new value so every update yields a delta. Prints percentiles in milliseconds.
/// </summary>
internal static class ShadowSyncProbe
{
    public static async Task<int> RunAsync(string mqttEndpoint, string? apiBase, int count)
    {
        var (host, port) = Split(mqttEndpoint);
        var factory = new MqttClientFactory();
        using var device = factory.CreateMqttClient();
        using var backend = factory.CreateMqttClient();
        await device.ConnectAsync(Options(factory, host, port, "bench-shadow-device"));
        await backend.ConnectAsync(Options(factory, host, port, "bench-shadow-backend"));
        const string Thing = "bench-shadow-thing";
        var arrived = new SemaphoreSlim(0);
        device.ApplicationMessageReceivedAsync += _ =>
        {
            arrived.Release();
            return Task.CompletedTask;
        };
        await device.SubscribeAsync($"$iotix/things/{Thing}/shadow/update/delta", MqttQualityOfServiceLevel.AtLeastOnce);
        using var http = apiBase is null ? null : new HttpClient { BaseAddress = new Uri(apiBase) };
        if (http is not null && Environment.GetEnvironmentVariable("IOTIX_API_KEY") is { Length: > 0 } apiKey)
        {
            http.DefaultRequestHeaders.Add("X-Api-Key", apiKey); // the API's caller (bench/shadow-bench.sh sets it)
        }

        foreach (var (name, viaApi) in apiBase is null ? [("mqtt", false)] : new[] { ("mqtt", false), ("api", true) })
        {
            // Warm-up, then the measured updates.
            await MeasureAsync(backend, http, viaApi, Thing, arrived, 20, offset: 0);
            var histogram = await MeasureAsync(backend, http, viaApi, Thing, arrived, count, offset: 1_000_000);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name}: {count} updates, update -> delta ms: p50 {Ms(histogram, 50):0.00} p90 {Ms(histogram, 90):0.00} p99 {Ms(histogram, 99):0.00} max {histogram.GetMaxValue() / 1000.0:0.00}"));
        }

        return 0;
    }

    private static async Task<LongHistogram> MeasureAsync(IMqttClient backend, HttpClient? http, bool viaApi, string thing, SemaphoreSlim arrived, int count, int offset)
    {
        var histogram = new LongHistogram(60_000_000, 3);
        for (int i = 0; i < count; i++)
        {
            var body = string.Create(CultureInfo.InvariantCulture, $"{{\"state\":{{\"desired\":{{\"setpoint\":{offset + i}}}}}}}");
            var started = Stopwatch.GetTimestamp();
            if (viaApi)
            {
                using var content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
                using var response = await http!.PatchAsync($"/api/v1/shadows/{thing}", content);
                response.EnsureSuccessStatusCode();
            }
            else
            {
                await backend.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"$iotix/things/{thing}/shadow/update").WithPayload(body)
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            }

            if (!await arrived.WaitAsync(TimeSpan.FromSeconds(10)))
            {
                throw new TimeoutException($"no delta within 10 s for update {i}");
            }

            histogram.RecordValue((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        }

        return histogram;
    }

    private static double Ms(LongHistogram histogram, double percentile) => histogram.GetValueAtPercentile(percentile) / 1000.0;

    private static MqttClientOptions Options(MqttClientFactory factory, string host, int port, string clientId) =>
        factory.CreateClientOptionsBuilder().WithTcpServer(host, port).WithClientId(clientId)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithTimeout(TimeSpan.FromSeconds(10)).Build();

    private static (string Host, int Port) Split(string endpoint)
    {
        int colon = endpoint.LastIndexOf(':');
        return (endpoint[..colon], int.Parse(endpoint[(colon + 1)..], CultureInfo.InvariantCulture));
    }
}
