using System.Net;
using System.Text;
using System.Text.Json;
using IoTix.Tests.Shared;
using MQTTnet;

namespace IoTix.Tests.Broker.Rules;

/// <summary>
/// User story 6 against the running host: real MQTT clients on the hosted broker, a real Kestrel receiver for webhooks,
/// a real InfluxDB, the API to manage rules (FR-040..FR-043a).
/// </summary>
public sealed class RulesIntegrationTests(InfluxDbFixture influx, RulesHostFixture fixture) : IClassFixture<InfluxDbFixture>, IClassFixture<RulesHostFixture>, IAsyncLifetime
{
    private readonly InfluxDbFixture _influx = influx;
    private readonly RulesHost _host = fixture.Host;
    private HttpRecordingServer _receiver = null!;

    public async Task InitializeAsync() => _receiver = await HttpRecordingServer.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task A_matching_message_runs_the_webhook_with_the_message_payload()
    {
        await _host.CreateRuleAsync(new
        {
            id = "hook-all",
            name = "forward temperatures",
            topicFilters = new[] { "plant/+/temp" },
            actions = new object[] { new { type = "webhook", url = $"{_receiver.BaseUrl}/hook", headers = new Dictionary<string, string> { ["X-Device"] = "${topic[1]}" } } },
        });
        using var device = await _host.ConnectAsync("dev-hook");

        await RulesHost.PublishAsync(device, "plant/boiler/temp", """{"temp":88.5}""");
        await RulesHost.PublishAsync(device, "plant/boiler/pressure", """{"bar":2}""");
        await _receiver.WaitForRequestsAsync(1, RulesHost.WaitTimeout);

        var request = Assert.Single(_receiver.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/hook", request.Path);
        Assert.Equal("boiler", request.Headers["X-Device"]);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("hook-all", body.RootElement.GetProperty("rule").GetString());
        Assert.Equal("plant/boiler/temp", body.RootElement.GetProperty("topic").GetString());
        Assert.Equal("dev-hook", body.RootElement.GetProperty("clientId").GetString());
        Assert.Equal(88.5, body.RootElement.GetProperty("payload").GetProperty("temp").GetDouble());
        var counters = await _host.WaitForCountersAsync("hook-all", c => c.GetProperty("actionsSucceeded").GetInt64() == 1);
        Assert.Equal(1, counters.GetProperty("matched").GetInt64());
    }

    [Fact]
    public async Task Only_messages_that_meet_the_condition_trigger_the_actions()
    {
        await _host.CreateRuleAsync(new
        {
            id = "hot-only",
            name = "hot rooms",
            topicFilters = new[] { "rooms/#" },
            condition = "payload.temp > 30 and topic[1] != 'lab'",
            actions = new object[] { new { type = "webhook", url = $"{_receiver.BaseUrl}/hot", body = """{"room":"${topic[1]}","t":${payload.temp}}""" } },
        });
        using var device = await _host.ConnectAsync("dev-cond");

        await RulesHost.PublishAsync(device, "rooms/hall", """{"temp":25}""");
        await RulesHost.PublishAsync(device, "rooms/lab", """{"temp":45}""");
        await RulesHost.PublishAsync(device, "rooms/kitchen", "not json");
        await RulesHost.PublishAsync(device, "rooms/attic", """{"temp":35.5}""");
        var counters = await _host.WaitForCountersAsync("hot-only", c => c.GetProperty("matched").GetInt64() == 4 && c.GetProperty("actionsSucceeded").GetInt64() == 1);

        Assert.Equal(1, counters.GetProperty("passed").GetInt64());
        var request = Assert.Single(_receiver.Requests);
        Assert.Equal("""{"room":"attic","t":35.5}""", Encoding.UTF8.GetString(request.Body));
    }

    [Fact]
    public async Task A_webhook_that_fails_first_is_retried_with_backoff_until_it_succeeds()
    {
        _receiver.FailNext(2);
        await _host.CreateRuleAsync(new
        {
            id = "hook-retry",
            name = "retried",
            topicFilters = new[] { "retry/#" },
            actions = new object[] { new { type = "webhook", url = $"{_receiver.BaseUrl}/retry", retries = 3, retryDelayMs = 20 } },
        });
        using var device = await _host.ConnectAsync("dev-retry");

        await RulesHost.PublishAsync(device, "retry/a", "{}");
        var counters = await _host.WaitForCountersAsync("hook-retry", c => c.GetProperty("actionsSucceeded").GetInt64() == 1);

        Assert.Equal(3, _receiver.Requests.Count);
        Assert.Equal(0, counters.GetProperty("actionsFailed").GetInt64());
    }

    [Fact]
    public async Task A_dead_webhook_is_counted_as_failed_while_other_actions_and_mqtt_go_on()
    {
        var deadUrl = $"http://127.0.0.1:{BrokerInstance.FreePort()}/down";
        await _host.CreateRuleAsync(new
        {
            id = "hook-down",
            name = "dead target",
            topicFilters = new[] { "down/#" },
            actions = new object[]
            {
                new { type = "webhook", url = deadUrl, retries = 1, retryDelayMs = 10, timeoutMs = 500 },
                new { type = "republish", topic = "down-copy/${topic[1]}" },
            },
        });
        using var device = await _host.ConnectAsync("dev-down");
        using var subscriber = await _host.ConnectAsync("sub-down");
        var collector = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("down-copy/#");

        for (var i = 0; i < 10; i++)
        {
            await RulesHost.PublishAsync(device, $"down/{i}", "{}");
        }

        var copies = await collector.WaitForAsync(10, RulesHost.WaitTimeout);
        var counters = await _host.WaitForCountersAsync("hook-down", c => c.GetProperty("actionsFailed").GetInt64() == 10);

        Assert.Equal(10, copies.Count);
        Assert.Equal(10, counters.GetProperty("actionsSucceeded").GetInt64()); // the republish of each message
        Assert.False(string.IsNullOrEmpty(counters.GetProperty("lastError").GetString()));
        await subscriber.SubscribeAsync("still/alive");
        await RulesHost.PublishAsync(device, "still/alive", "yes");
        await collector.WaitForAsync(11, RulesHost.WaitTimeout);
    }

    [Fact]
    public async Task Republish_puts_the_transformed_message_on_the_target_topic()
    {
        await _host.CreateRuleAsync(new
        {
            id = "to-fahrenheit",
            name = "celsius to fahrenheit",
            topicFilters = new[] { "celsius/+" },
            actions = new object[] { new { type = "republish", topic = "fahrenheit/${topic[1]}", payload = """{"f":${payload.c * 9 / 5 + 32},"from":${json(clientid)}}""", qos = 1 } },
        });
        using var subscriber = await _host.ConnectAsync("sub-f");
        var collector = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("fahrenheit/#", MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce);
        using var device = await _host.ConnectAsync("dev-c");

        await RulesHost.PublishAsync(device, "celsius/oven", """{"c":100}""");
        var messages = await collector.WaitForAsync(1, RulesHost.WaitTimeout);

        var message = Assert.Single(messages);
        Assert.Equal("fahrenheit/oven", message.Topic);
        Assert.Equal("""{"f":212,"from":"dev-c"}""", Encoding.UTF8.GetString(message.Payload));
        Assert.Equal(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce, message.QualityOfServiceLevel);
    }

    [Fact]
    public async Task A_rule_republishing_onto_its_own_filter_stops_at_the_chain_depth()
    {
        await _host.CreateRuleAsync(new
        {
            id = "loop",
            name = "loops",
            topicFilters = new[] { "loop/#" },
            actions = new object[] { new { type = "republish", topic = "loop/${timestamp}" } },
        });
        using var device = await _host.ConnectAsync("dev-loop");

        await RulesHost.PublishAsync(device, "loop/start", "x");
        var counters = await _host.WaitForCountersAsync("loop", c => c.GetProperty("matched").GetInt64() == 4);

        // The original plus Broker:Rules:MaxChainDepth (3) republished generations; nothing further.
        await Task.Delay(300);
        Assert.Equal(4, (await _host.WaitForCountersAsync("loop", _ => true)).GetProperty("matched").GetInt64());
        Assert.Equal(4, counters.GetProperty("actionsSucceeded").GetInt64());
    }

    [Fact]
    public async Task The_database_action_persists_events_queryable_over_the_api()
    {
        await _host.CreateRuleAsync(new
        {
            id = "store-events",
            name = "store",
            topicFilters = new[] { "store/#" },
            actions = new object[] { new { type = "database", payload = """{"level":"${topic[1]}","v":${payload.v}}""" } },
        });
        using var device = await _host.ConnectAsync("dev-db");

        await RulesHost.PublishAsync(device, "store/a", """{"v":1}""");
        await RulesHost.PublishAsync(device, "store/b", """{"v":2}""");
        await _host.WaitForCountersAsync("store-events", c => c.GetProperty("actionsSucceeded").GetInt64() == 2);
        var events = JsonDocument.Parse(await _host.Api.GetStringAsync("/api/v1/rules/store-events/events?limit=10")).RootElement;

        Assert.Equal(2, events.GetArrayLength());
        var payloads = new[] { events[0].GetProperty("payload").GetString(), events[1].GetProperty("payload").GetString() };
        Assert.Contains("""{"level":"a","v":1}""", payloads);
        Assert.Contains("""{"level":"b","v":2}""", payloads);
        Assert.Equal("dev-db", events[0].GetProperty("clientId").GetString());
    }

    [Fact]
    public async Task The_influxdb_action_writes_points_through_the_line_protocol()
    {
        var database = await _influx.CreateDatabaseAsync("rules");
        await _host.CreateRuleAsync(new
        {
            id = "to-influx",
            name = "time series",
            topicFilters = new[] { "ts/+/env" },
            actions = new object[]
            {
                new
                {
                    type = "influxdb",
                    url = _influx.Url,
                    database,
                    measurement = "environment",
                    tags = new Dictionary<string, string> { ["site"] = "topic[1]" },
                    fields = new Dictionary<string, string> { ["temp"] = "payload.t", ["hot"] = "payload.t > 30" },
                    flushIntervalMs = 50,
                },
            },
        });
        using var device = await _host.ConnectAsync("dev-influx");

        await RulesHost.PublishAsync(device, "ts/berlin/env", """{"t":21.5}""");
        await RulesHost.PublishAsync(device, "ts/cairo/env", """{"t":38}""");
        await _host.WaitForCountersAsync("to-influx", c => c.GetProperty("actionsSucceeded").GetInt64() == 2);
        var columns = await _influx.ColumnsAsync(database, "SELECT hot, site, temp FROM environment ORDER BY time");
        var rows = await _influx.SelectAsync(database, "SELECT hot, site, temp FROM environment ORDER BY time");

        Assert.Equal(["time", "hot", "site", "temp"], columns);
        Assert.Equal(2, rows.Count);
        var byCity = rows.ToDictionary(r => r[2].GetString()!);
        Assert.Equal(21.5, byCity["berlin"][3].GetDouble());
        Assert.False(byCity["berlin"][1].GetBoolean());
        Assert.Equal(38, byCity["cairo"][3].GetDouble());
        Assert.True(byCity["cairo"][1].GetBoolean());
    }

    [Fact]
    public async Task An_unreachable_influxdb_is_skipped_and_counted_while_mqtt_goes_on()
    {
        await _host.CreateRuleAsync(new
        {
            id = "influx-down",
            name = "influx down",
            topicFilters = new[] { "tsdown/#" },
            actions = new object[] { new { type = "influxdb", url = $"http://127.0.0.1:{BrokerInstance.FreePort()}", database = "x", measurement = "m", flushIntervalMs = 20, retries = 1, retryDelayMs = 10 } },
        });
        using var device = await _host.ConnectAsync("dev-tsdown");
        using var subscriber = await _host.ConnectAsync("sub-tsdown");
        var collector = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("tsdown/#");

        await RulesHost.PublishAsync(device, "tsdown/a", """{"v":1}""");
        var counters = await _host.WaitForCountersAsync("influx-down", c => c.GetProperty("actionsFailed").GetInt64() == 1);
        await collector.WaitForAsync(1, RulesHost.WaitTimeout);

        Assert.Contains("InfluxDB write of 1 points failed", counters.GetProperty("lastError").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disabled_rules_do_not_run_until_enabled()
    {
        await _host.CreateRuleAsync(new
        {
            id = "toggled",
            name = "toggled",
            enabled = false,
            topicFilters = new[] { "toggle/#" },
            actions = new object[] { new { type = "webhook", url = $"{_receiver.BaseUrl}/toggle" } },
        });
        using var device = await _host.ConnectAsync("dev-toggle");

        await RulesHost.PublishAsync(device, "toggle/1", "{}");
        using var enable = await _host.Api.PostAsync("/api/v1/rules/toggled/enable", null);
        await RulesHost.PublishAsync(device, "toggle/2", "{}");
        await _receiver.WaitForRequestsAsync(1, RulesHost.WaitTimeout);

        Assert.Equal(HttpStatusCode.OK, enable.StatusCode);
        var body = Encoding.UTF8.GetString(Assert.Single(_receiver.Requests).Body);
        Assert.Contains("toggle/2", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rule_counters_and_engine_totals_are_on_metrics()
    {
        await _host.CreateRuleAsync(new { id = "metered", name = "metered", topicFilters = new[] { "metered/#" }, actions = new object[] { new { type = "database" } } });
        using var device = await _host.ConnectAsync("dev-metered");
        await RulesHost.PublishAsync(device, "metered/x", "1");
        await _host.WaitForCountersAsync("metered", c => c.GetProperty("actionsSucceeded").GetInt64() == 1);

        var metrics = await _host.Api.GetStringAsync("/metrics");

        Assert.Contains("iotix_rule_matched_total{rule=\"metered\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("iotix_rule_actions_total{rule=\"metered\",outcome=\"succeeded\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("iotix_rules_dropped_total 0", metrics, StringComparison.Ordinal);
    }
}
