using System.Diagnostics;
using System.Text;
using System.Text.Json;
using IoTix.Broker.History;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker.History;

/// <summary>The whole IoTix host (broker + REST API) capturing <c>hist/#</c>.</summary>
public sealed class HistoryHostFixture : IAsyncLifetime
{
    public ConsoleBrokerHost Host { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Host = ConsoleBrokerHost.Start(new Dictionary<string, string?>
        {
            ["Broker:History:Topics:0"] = "hist/#",
            ["Broker:History:Retention"] = "48h",
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>Capture (FR-030), query (FR-031) and replay (FR-032, SC-009) against the running host with real clients.</summary>
public sealed class HistoryTests(HistoryHostFixture fixture) : IClassFixture<HistoryHostFixture>
{
    private ConsoleBrokerHost Host => fixture.Host;

    private HttpClient Http => fixture.Host.Http;

    [Fact]
    public async Task Publish_on_a_configured_topic_is_stored_with_timestamp_qos_retain_mqtt5_properties_and_publisher()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        using (var publisher = await Host.ConnectAsync("hist-props-pub"))
        {
            await publisher.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic("hist/props/a")
                .WithPayload("{\"t\":21.5}")
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithRetainFlag()
                .WithContentType("application/json")
                .WithCorrelationData([1, 2, 3])
                .WithResponseTopic("hist/props/reply")
                .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
                .WithMessageExpiryInterval(3600)
                .WithUserProperty("trace", "abc"u8.ToArray().AsMemory())
                .WithUserProperty("trace", "def"u8.ToArray().AsMemory())
                .Build());
            await publisher.PublishStringAsync("other/props/a", "not captured");
        }

        await Host.Services.WaitForHistoryAsync();
        var page = await Http.GetJsonAsync("/api/v1/history?topic=hist/props/%23");

        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        var message = item.GetProperty("message");
        Assert.Equal("hist-props-pub", item.GetProperty("clientId").GetString());
        Assert.InRange(item.GetProperty("timestamp").GetDateTimeOffset(), before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal("hist/props/a", message.GetProperty("topic").GetString());
        Assert.Equal("{\"t\":21.5}", message.GetProperty("payloadText").GetString());
        Assert.Equal(1, message.GetProperty("qos").GetInt32());
        Assert.True(message.GetProperty("retain").GetBoolean());
        Assert.Equal("application/json", message.GetProperty("contentType").GetString());
        Assert.Equal(Convert.ToBase64String([1, 2, 3]), message.GetProperty("correlationData").GetString());
        Assert.Equal("hist/props/reply", message.GetProperty("responseTopic").GetString());
        Assert.Equal("utf8", message.GetProperty("payloadFormat").GetString());
        Assert.Equal(3600u, message.GetProperty("messageExpiryInterval").GetUInt32());
        var properties = message.GetProperty("userProperties").EnumerateArray().Select(p => $"{p.GetProperty("name").GetString()}={p.GetProperty("value").GetString()}").ToList();
        Assert.Equal(["trace=abc", "trace=def"], properties); // order and duplicates kept, IoTix's internal deadline not shown
        var other = await Http.GetJsonAsync("/api/v1/history?topic=other/%23");
        Assert.Empty(other.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Mosquitto_pub_publish_is_captured_with_its_client_id()
    {
        var (exitCode, output) = await BrokerInstance.RunAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", $"{Host.TcpPort}", "-i", "mosq-hist", "-q", "1", "-t", "hist/mosquitto/temp", "-m", "22.5");
        Assert.True(exitCode == 0, output);

        await Host.Services.WaitForHistoryAsync();
        var page = await Http.GetJsonAsync("/api/v1/history?topic=hist/mosquitto/temp");

        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal("mosq-hist", item.GetProperty("clientId").GetString());
        Assert.Equal("22.5", item.GetProperty("message").GetProperty("payloadText").GetString());
    }

    [Fact]
    public async Task Query_pages_by_cursor_and_by_page_in_publish_order_and_applies_wildcards_and_time_range()
    {
        using (var publisher = await Host.ConnectAsync("hist-order-pub"))
        {
            for (var i = 0; i < 7; i++)
            {
                await publisher.PublishStringAsync($"hist/order/{(i % 2 == 0 ? "even" : "odd")}/v", i.ToString(System.Globalization.CultureInfo.InvariantCulture), MqttQualityOfServiceLevel.AtLeastOnce);
            }
        }

        await Host.Services.WaitForHistoryAsync();

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Http.GetJsonAsync($"/api/v1/history?topic=hist/order/%23&limit=3{(cursor is null ? "" : "&cursor=" + cursor)}");
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(Payload));
            cursor = page.GetProperty("nextCursor").GetString();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(["0", "1", "2", "3", "4", "5", "6"], seen);
        Assert.Equal(3, pages);
        var second = await Http.GetJsonAsync("/api/v1/history?topic=hist/order/%23&page=2&limit=3");
        Assert.Equal(["3", "4", "5"], second.GetProperty("items").EnumerateArray().Select(Payload));
        var even = await Http.GetJsonAsync("/api/v1/history?topic=hist/order/%2B/v&limit=10");
        Assert.Equal(7, even.GetProperty("items").GetArrayLength());
        var evenOnly = await Http.GetJsonAsync("/api/v1/history?topic=hist/order/even/%2B");
        Assert.Equal(["0", "2", "4", "6"], evenOnly.GetProperty("items").EnumerateArray().Select(Payload));

        var all = (await Http.GetJsonAsync("/api/v1/history?topic=hist/order/%23")).GetProperty("items").EnumerateArray().ToList();
        var from = Uri.EscapeDataString(all[2].GetProperty("timestamp").GetDateTimeOffset().ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        var to = Uri.EscapeDataString(all[5].GetProperty("timestamp").GetDateTimeOffset().ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        var range = await Http.GetJsonAsync($"/api/v1/history?topic=hist/order/%23&from={from}&to={to}");
        var inRange = range.GetProperty("items").EnumerateArray().Select(Payload).ToList();
        Assert.Contains("2", inRange);
        Assert.DoesNotContain("5", inRange); // [from, to)
        Assert.DoesNotContain("1", inRange);
    }

    [Fact]
    public async Task Bad_query_is_a_problem_naming_each_bad_field()
    {
        var (status, problem) = await Http.SendJsonAsync(HttpMethod.Get, "/api/v1/history?topic=a/%23/b&from=yesterday&cursor=nonsense&limit=0");

        Assert.Equal(400, status);
        Assert.Equal(["cursor", "from", "limit", "topic"], HistoryTestSupport.ErrorFields(problem).Order());
        var (rangeStatus, rangeProblem) = await Http.SendJsonAsync(HttpMethod.Get, "/api/v1/history?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z");
        Assert.Equal(400, rangeStatus);
        Assert.Equal(["to"], HistoryTestSupport.ErrorFields(rangeProblem));
        var cursor = new HistoryCursor(DateTimeOffset.UtcNow, 1).Format();
        var (bothStatus, bothProblem) = await Http.SendJsonAsync(HttpMethod.Get, $"/api/v1/history?cursor={cursor}&page=2");
        Assert.Equal(400, bothStatus);
        Assert.Equal(["page"], HistoryTestSupport.ErrorFields(bothProblem));
    }

    [Fact]
    public async Task Status_names_the_topics_and_the_configured_retention()
    {
        var status = await Http.GetJsonAsync("/api/v1/history/status");

        Assert.True(status.GetProperty("enabled").GetBoolean());
        Assert.Equal(["hist/#"], status.GetProperty("topics").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("48h", status.GetProperty("retention").GetString());
    }

    [Fact]
    public async Task Replay_at_original_pace_republishes_in_order_with_the_original_gaps()
    {
        var gapsMs = new[] { 0, 150, 400, 450, 800 };
        var offsets = await PublishWithGapsAsync("hist/replay/original", gapsMs);
        using var subscriber = await Host.ConnectAsync("hist-replay-original-sub");
        var arrivals = new ArrivalClock(subscriber);
        await subscriber.SubscribeAsync("replayed/original", MqttQualityOfServiceLevel.AtLeastOnce);

        var job = await StartReplayAsync(new { topic = "hist/replay/original", targetTopic = "replayed/original", pace = "original" });
        await arrivals.WaitForAsync(gapsMs.Length);
        var finished = await WaitForJobAsync(job);

        Assert.Equal(["0", "1", "2", "3", "4"], arrivals.Payloads);
        AssertOffsets(offsets, arrivals.OffsetsMs, 1.0);
        Assert.Equal("completed", finished.GetProperty("state").GetString());
        Assert.Equal(5, finished.GetProperty("published").GetInt32());
        Assert.InRange(finished.GetProperty("maxLagMs").GetDouble(), -1, ToleranceMs);
    }

    [Fact]
    public async Task Scaled_replay_divides_the_gaps_and_fast_replay_keeps_only_the_order()
    {
        var gapsMs = new[] { 0, 300, 600, 1000 };
        var offsets = await PublishWithGapsAsync("hist/replay/scaled", gapsMs);
        using var subscriber = await Host.ConnectAsync("hist-replay-scaled-sub");
        var scaled = new ArrivalClock(subscriber, "replayed/scaled");
        var fast = new ArrivalClock(subscriber, "replayed/fast");
        await subscriber.SubscribeAsync("replayed/#", MqttQualityOfServiceLevel.AtLeastOnce);

        var scaledJob = await StartReplayAsync(new { topic = "hist/replay/scaled", targetTopic = "replayed/scaled", pace = "scaled", speed = 2.0 });
        await scaled.WaitForAsync(gapsMs.Length);
        await WaitForJobAsync(scaledJob);
        var fastJob = await StartReplayAsync(new { topic = "hist/replay/scaled", targetTopic = "replayed/fast", pace = "fast" });
        await fast.WaitForAsync(gapsMs.Length);
        var fastDone = await WaitForJobAsync(fastJob);

        AssertOffsets(offsets, scaled.OffsetsMs, 2.0);
        Assert.Equal(["0", "1", "2", "3"], fast.Payloads);
        Assert.Equal("fast", fastDone.GetProperty("pace").GetString());
        Assert.Equal(0, fastDone.GetProperty("maxLagMs").GetDouble());
    }

    [Fact]
    public async Task Replay_to_the_original_topic_is_not_captured_again()
    {
        using (var publisher = await Host.ConnectAsync("hist-self-pub"))
        {
            await publisher.PublishStringAsync("hist/self/a", "once", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await Host.Services.WaitForHistoryAsync();
        using var subscriber = await Host.ConnectAsync("hist-self-sub");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("hist/self/a", MqttQualityOfServiceLevel.AtLeastOnce);

        await WaitForJobAsync(await StartReplayAsync(new { topic = "hist/self/a", pace = "fast" }));
        await received.WaitForAsync(1);
        await Host.Services.WaitForHistoryAsync();

        Assert.Equal("once", received.Messages[0].ConvertPayloadToString());
        var page = await Http.GetJsonAsync("/api/v1/history?topic=hist/self/a");
        Assert.Single(page.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Running_replay_can_be_cancelled_and_reports_its_progress()
    {
        await PublishWithGapsAsync("hist/replay/cancel", [0, 100, 200]);
        var job = await StartReplayAsync(new { topic = "hist/replay/cancel", targetTopic = "replayed/cancel", pace = "scaled", speed = 0.01 });

        await HistoryTestSupport.WaitUntilAsync(async () => (await Http.GetJsonAsync($"/api/v1/history/replays/{job}")).GetProperty("published").GetInt32() == 1, "the first replayed message");
        var (status, cancelled) = await Http.SendJsonAsync(HttpMethod.Post, $"/api/v1/history/replays/{job}/cancel");
        var finished = await WaitForJobAsync(job);

        Assert.Equal(202, status);
        Assert.Equal(job, cancelled.GetProperty("id").GetString());
        Assert.Equal("cancelled", finished.GetProperty("state").GetString());
        Assert.Equal(3, finished.GetProperty("total").GetInt32());
        Assert.Equal(1, finished.GetProperty("published").GetInt32());
        var (again, _) = await Http.SendJsonAsync(HttpMethod.Post, $"/api/v1/history/replays/{job}/cancel");
        Assert.Equal(409, again);
    }

    [Fact]
    public async Task Bad_replay_request_names_its_fields_and_unknown_jobs_are_not_found()
    {
        var (status, problem) = await Http.SendJsonAsync(HttpMethod.Post, "/api/v1/history/replays", new { topic = "a/#/b", targetTopic = "x/+", pace = "slow" });
        var (speedStatus, speedProblem) = await Http.SendJsonAsync(HttpMethod.Post, "/api/v1/history/replays", new { pace = "scaled", speed = 0 });
        var (unknownStatus, _) = await Http.SendJsonAsync(HttpMethod.Get, "/api/v1/history/replays/replay-000000000000");

        Assert.Equal(400, status);
        Assert.Equal(["pace", "targetTopic", "topic"], HistoryTestSupport.ErrorFields(problem).Order());
        Assert.Equal(400, speedStatus);
        Assert.Equal(["speed"], HistoryTestSupport.ErrorFields(speedProblem));
        Assert.Equal(404, unknownStatus);
    }

    /// <summary>Relative timing tolerance: publishes and deliveries both cross a loaded, shared machine.</summary>
    private const double ToleranceMs = 250;

    private static string Payload(JsonElement item) => item.GetProperty("message").GetProperty("payloadText").GetString()!;

    private static void AssertOffsets(IReadOnlyList<double> capturedMs, IReadOnlyList<double> arrivedMs, double speed)
    {
        Assert.Equal(capturedMs.Count, arrivedMs.Count);
        for (var i = 1; i < capturedMs.Count; i++)
        {
            var expected = capturedMs[i] / speed;
            Assert.True(Math.Abs(arrivedMs[i] - expected) <= ToleranceMs, $"message {i}: arrived at +{arrivedMs[i]:F0} ms, expected +{expected:F0} ms (captured at +{capturedMs[i]:F0} ms, speed {speed})");
        }
    }

    /// <summary>Publishes "0", "1" ... at the given offsets; returns their captured offsets from the first (ms).</summary>
    private async Task<List<double>> PublishWithGapsAsync(string topic, int[] offsetsMs)
    {
        using (var publisher = await Host.ConnectAsync(null))
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < offsetsMs.Length; i++)
            {
                var wait = offsetsMs[i] - clock.ElapsedMilliseconds;
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(wait));
                }

                await publisher.PublishStringAsync(topic, i.ToString(System.Globalization.CultureInfo.InvariantCulture), MqttQualityOfServiceLevel.AtLeastOnce);
            }
        }

        await Host.Services.WaitForHistoryAsync();
        var items = (await Http.GetJsonAsync($"/api/v1/history?topic={Uri.EscapeDataString(topic)}")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(offsetsMs.Length, items.Count);
        var first = items[0].GetProperty("timestamp").GetDateTimeOffset();
        return [.. items.Select(i => (i.GetProperty("timestamp").GetDateTimeOffset() - first).TotalMilliseconds)];
    }

    private async Task<string> StartReplayAsync(object body)
    {
        var (status, job) = await Http.SendJsonAsync(HttpMethod.Post, "/api/v1/history/replays", body);
        Assert.True(status == 202, job.ToString());
        return job.GetProperty("id").GetString()!;
    }

    private async Task<JsonElement> WaitForJobAsync(string id)
    {
        await Host.Services.GetRequiredService<MessageHistory>().WaitAsync(id).WaitAsync(HistoryTestSupport.Patience);
        return await Http.GetJsonAsync($"/api/v1/history/replays/{id}");
    }

    /// <summary>Arrival order and offsets (from the first arrival) of messages on one topic.</summary>
    private sealed class ArrivalClock
    {
        private readonly List<(string Payload, double AtMs)> _arrivals = [];
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public ArrivalClock(IMqttClient client, string? topic = null)
        {
            client.ApplicationMessageReceivedAsync += e =>
            {
                if (topic is null || e.ApplicationMessage.Topic == topic)
                {
                    lock (_arrivals)
                    {
                        _arrivals.Add((Encoding.UTF8.GetString(e.ApplicationMessage.Payload), _clock.Elapsed.TotalMilliseconds));
                    }
                }

                return Task.CompletedTask;
            };
        }

        public List<string> Payloads
        {
            get
            {
                lock (_arrivals)
                {
                    return [.. _arrivals.Select(a => a.Payload)];
                }
            }
        }

        public List<double> OffsetsMs
        {
            get
            {
                lock (_arrivals)
                {
                    return [.. _arrivals.Select(a => a.AtMs - _arrivals[0].AtMs)];
                }
            }
        }

        public Task WaitForAsync(int count) => HistoryTestSupport.WaitUntilAsync(
            () =>
            {
                lock (_arrivals)
                {
                    return Task.FromResult(_arrivals.Count >= count);
                }
            },
            $"{count} replayed messages");
    }
}
