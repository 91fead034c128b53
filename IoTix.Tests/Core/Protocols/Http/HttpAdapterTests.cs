using System.Text;
using System.Text.Json;
using IoTix.Core.Models;
using IoTix.Core.Protocols;
using IoTix.Core.Protocols.Http;
using IoTix.Tests.Core.Protocols.Coap;
using IoTix.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace IoTix.Tests.Core.Protocols.Http;

/// <summary>The HTTP adapter against a real Kestrel endpoint on loopback.</summary>
public sealed class HttpAdapterTests : IAsyncLifetime
{
    private HttpRecordingServer _server = null!;

    public async Task InitializeAsync() => _server = await HttpRecordingServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static HttpProtocolAdapter Adapter(Action<HttpOptions>? configure = null, TimeProvider? time = null)
    {
        var options = new HttpOptions();
        configure?.Invoke(options);
        return new HttpProtocolAdapter(time ?? TimeProvider.System, Options.Create(options), NullLogger<HttpProtocolAdapter>.Instance);
    }

    private static DeviceModel Model(string url, string connectionExtra = "", string method = "POST", string payloadFormat = "json", string commands = "[]") =>
        JsonSerializer.Deserialize<DeviceModel>($$"""
            {
              "id": "http-test", "name": "HTTP test", "type": "sensor", "protocol": "http",
              "connection": { "url": "{{url}}", "method": "{{method}}" {{connectionExtra}} },
              "telemetry": [ { "name": "t", "type": "number", "generator": { "type": "constant", "value": 1 }, "intervalMs": 1000 } ],
              "commands": {{commands}},
              "payload": { "format": "{{payloadFormat}}" }
            }
            """, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

    private static (IDeviceConnection Connection, RecordingEvents Events, string Topic) Create(HttpProtocolAdapter adapter, DeviceModel model, string deviceId = "meter-1", int index = 0, int queueLimit = 1000)
    {
        var events = new RecordingEvents();
        var connection = adapter.CreateConnection(new DeviceConnectionContext
        {
            DeviceId = deviceId,
            Index = index,
            GroupId = "meters",
            Model = model,
            ClientId = deviceId,
            Events = events,
            OutboundQueueLimit = queueLimit,
        });
        return (connection, events, $"devices/{deviceId}/telemetry");
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task Post_carries_the_body_json_content_type_rendered_headers_and_a_bearer_token_from_the_environment()
    {
        var variable = "IOTIX_TEST_TOKEN_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "s3cret");
        await using var adapter = Adapter();
        var model = Model(_server.BaseUrl + "/api/ingest/${deviceId}",
            $$""", "headers": { "X-Device-Group": "${groupId}", "X-Meter-Index": "${index}" }, "credentials": { "token": "${env:{{variable}}}" }""");
        var (connection, _, topic) = Create(adapter, model, index: 4);
        var connected = await connection.ConnectAsync();

        var status = connection.TryPublish(topic, "{\"activePower\":900}"u8, 0, false);
        await _server.WaitForRequestsAsync(1);
        var request = _server.Requests.Single();

        Assert.True(connected.Succeeded, connected.Error);
        Assert.Equal(PublishStatus.Accepted, status);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/api/ingest/meter-1", request.Path);
        Assert.Equal("{\"activePower\":900}", Encoding.UTF8.GetString(request.Body));
        Assert.StartsWith("application/json", request.Headers["Content-Type"]);
        Assert.Equal("meters", request.Headers["X-Device-Group"]);
        Assert.Equal("4", request.Headers["X-Meter-Index"]);
        Assert.Equal("Bearer s3cret", request.Headers["Authorization"]);
        await Until(() => adapter.GetHttpMetrics().Succeeded == 1);
        Assert.Equal(1, adapter.GetHttpMetrics().StatusCodes[204]);
        Assert.Equal(1, adapter.GetMetrics().PublishLatency!.Count);
    }

    [Fact]
    public async Task Put_with_basic_credentials_sends_octet_stream_for_binary_payloads()
    {
        await using var adapter = Adapter();
        var model = Model(_server.BaseUrl + "/raw/${deviceId}", """, "credentials": { "username": "dev", "password": "pw" }""", method: "PUT", payloadFormat: "binary");
        var (connection, _, topic) = Create(adapter, model);
        await connection.ConnectAsync();

        connection.TryPublish(topic, [1, 2, 3], 0, false);
        await _server.WaitForRequestsAsync(1);
        var request = _server.Requests.Single();

        Assert.Equal("PUT", request.Method);
        Assert.Equal([1, 2, 3], request.Body);
        Assert.Equal("application/octet-stream", request.Headers["Content-Type"]);
        Assert.Equal("Basic " + Convert.ToBase64String("dev:pw"u8.ToArray()), request.Headers["Authorization"]);
    }

    [Fact]
    public async Task Other_topics_are_posted_as_paths_on_the_same_server()
    {
        await using var adapter = Adapter();
        var (connection, _, _) = Create(adapter, Model(_server.BaseUrl + "/api/ingest/${deviceId}"));
        await connection.ConnectAsync();

        connection.TryPublish("meters/meter-1/alerts", "{}"u8, 0, false);
        await _server.WaitForRequestsAsync(1);

        Assert.Equal("/meters/meter-1/alerts", _server.Requests.Single().Path);
    }

    [Fact]
    public async Task Server_errors_count_as_failures_with_their_status_code()
    {
        await using var adapter = Adapter();
        var (connection, _, topic) = Create(adapter, Model(_server.BaseUrl + "/fail/${deviceId}"));
        await connection.ConnectAsync();

        connection.TryPublish(topic, "{}"u8, 0, false);
        connection.TryPublish(topic, "{}"u8, 0, false);
        await Until(() => adapter.GetHttpMetrics().Failed == 2);
        var metrics = adapter.GetHttpMetrics();

        Assert.Equal(2, metrics.StatusCodes[500]);
        Assert.Equal(0, metrics.Succeeded);
        Assert.Equal(2, adapter.GetMetrics().MessagesDropped);
        Assert.Equal(2, adapter.GetMetrics().Failures.RefusedByPeer);
        Assert.Equal(0, adapter.GetMetrics().PublishLatency!.Count);
    }

    [Fact]
    public async Task Requests_of_many_devices_reuse_the_pooled_connections()
    {
        await using var adapter = Adapter(o => o.MaxConnectionsPerServer = 2);
        var model = Model(_server.BaseUrl + "/api/ingest/${deviceId}");
        var devices = new List<(IDeviceConnection Connection, string Topic)>();
        for (int i = 0; i < 5; i++)
        {
            var (connection, _, topic) = Create(adapter, model, $"meter-{i}", i);
            await connection.ConnectAsync();
            devices.Add((connection, topic));
        }

        for (int round = 0; round < 10; round++)
        {
            foreach (var (connection, topic) in devices)
            {
                connection.TryPublish(topic, "{}"u8, 0, false);
            }

            await _server.WaitForRequestsAsync((round + 1) * 5);
        }

        var connectionIds = _server.Requests.Select(r => r.ConnectionId).Distinct().Count();
        Assert.Equal(50, _server.Requests.Count);
        Assert.InRange(connectionIds, 1, 2);
    }

    [Fact]
    public async Task In_flight_requests_never_exceed_MaxInFlightRequests_and_waiting_ones_follow()
    {
        await using var adapter = Adapter(o => o.MaxInFlightRequests = 2);
        var model = Model(_server.BaseUrl + "/api/ingest/${deviceId}");
        _server.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (int i = 0; i < 6; i++)
        {
            var (connection, _, topic) = Create(adapter, model, $"meter-{i}", i);
            await connection.ConnectAsync();
            connection.TryPublish(topic, "{}"u8, 0, false);
        }

        await _server.WaitForRequestsAsync(2);
        var inFlight = adapter.GetHttpMetrics().InFlight;
        _server.Hold.SetResult();
        await _server.WaitForRequestsAsync(6);

        Assert.Equal(2, inFlight);
        Assert.Equal(2, _server.MaxConcurrent);
        await Until(() => adapter.GetHttpMetrics().Succeeded == 6);
    }

    [Fact]
    public async Task A_full_device_queue_refuses_the_newest_message()
    {
        await using var adapter = Adapter();
        _server.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (connection, _, topic) = Create(adapter, Model(_server.BaseUrl + "/api/${deviceId}"), queueLimit: 1);
        await connection.ConnectAsync();

        var first = connection.TryPublish(topic, "1"u8, 0, false);
        await _server.WaitForRequestsAsync(1); // the first is in flight, held by the server
        var second = connection.TryPublish(topic, "2"u8, 0, false);
        var third = connection.TryPublish(topic, "3"u8, 0, false);
        _server.Hold.SetResult();
        await _server.WaitForRequestsAsync(2);

        Assert.Equal([PublishStatus.Accepted, PublishStatus.Accepted, PublishStatus.QueueFull], new[] { first, second, third });
        Assert.Equal(["1", "2"], _server.Requests.Select(r => Encoding.UTF8.GetString(r.Body)));
    }

    [Fact]
    public async Task Missing_environment_secret_fails_the_connect_naming_the_variable()
    {
        await using var adapter = Adapter();
        var (connection, _, _) = Create(adapter, Model(_server.BaseUrl + "/x", """, "credentials": { "token": "${env:IOTIX_SURELY_UNSET_VARIABLE}" }"""));

        var result = await connection.ConnectAsync();

        Assert.False(result.Succeeded);
        Assert.Contains("IOTIX_SURELY_UNSET_VARIABLE", result.Error);
        Assert.Equal(1, adapter.GetMetrics().ConnectFailures);
    }

    [Fact]
    public async Task Refused_connections_count_as_transport_errors()
    {
        await using var adapter = Adapter();
        int closedPort = LibCoapServer.FreeUdpPort(); // nothing listens on TCP there either, almost surely
        var (connection, _, topic) = Create(adapter, Model($"http://127.0.0.1:{closedPort}/x"));
        await connection.ConnectAsync();

        connection.TryPublish(topic, "{}"u8, 0, false);
        await Until(() => adapter.GetHttpMetrics().Failed == 1);

        Assert.Equal(1, adapter.GetHttpMetrics().TransportErrors);
    }

    [Fact]
    public async Task Publish_after_disconnect_is_refused()
    {
        await using var adapter = Adapter();
        var (connection, _, topic) = Create(adapter, Model(_server.BaseUrl + "/x"));
        await connection.ConnectAsync();

        await connection.DisconnectAsync(DisconnectMode.Graceful);

        Assert.Equal(PublishStatus.NotConnected, connection.TryPublish(topic, "{}"u8, 0, false));
        Assert.False(connection.IsConnected);
    }

    [Fact]
    public async Task Command_polling_delivers_a_pending_command_on_the_fake_clock()
    {
        var time = new FakeTimeProvider();
        await using var adapter = Adapter(o => o.CommandPollIntervalMs = 5_000, time);
        _server.QueueCommand("/commands/meter-1/reboot", "{\"delay\":1}");
        var (connection, events, _) = Create(adapter, Model(_server.BaseUrl + "/api/${deviceId}", commands: """[ { "name": "reboot" } ]"""));
        await connection.ConnectAsync();

        time.Advance(TimeSpan.FromMilliseconds(5_000));
        var command = await events.NextCommandAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("reboot", command.Name);
        Assert.Equal("{\"delay\":1}", Encoding.UTF8.GetString(command.Payload));
        Assert.Equal(1, adapter.GetMetrics().CommandsReceived);
    }
}
