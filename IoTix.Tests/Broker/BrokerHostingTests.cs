using System.Net;
using IoTix.Broker;
using IoTix.Broker.Observability;
using IoTix.Broker.Server;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Formatter;

namespace IoTix.Tests.Broker;

public sealed class BrokerHostingTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private BrokerInstance Broker => fixture.Broker;

    [Fact]
    public void Default_options_listen_on_the_standard_ports_on_loopback_with_anonymous_allowed()
    {
        var options = new BrokerOptions();

        Assert.True(options.Enabled);
        Assert.Equal("127.0.0.1", options.BindAddress);
        Assert.Equal((1883, 8883, 8083, 8084), (options.Listeners.Tcp.Port, options.Listeners.Tls.Port, options.Listeners.WebSocket.Port, options.Listeners.SecureWebSocket.Port));
        Assert.True(options.IsAnonymousAllowed);
        Assert.Equal(256 * 1024, options.MaxPayloadBytes);
        Assert.True(new BrokerOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void Binding_beyond_loopback_without_users_or_explicit_anonymous_fails_validation_naming_the_keys()
    {
        var options = new BrokerOptions { BindAddress = "0.0.0.0" };

        var result = new BrokerOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Broker:BindAddress", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Broker:AllowAnonymous", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new BrokerOptionsValidator().Validate(null, new BrokerOptions { BindAddress = "0.0.0.0", AllowAnonymous = true }).Succeeded);
    }

    [Fact]
    public void Invalid_port_and_bad_password_hash_are_reported_with_their_keys()
    {
        var options = new BrokerOptions { Users = [new BrokerUser { Username = "alice", PasswordHash = "plain" }] };
        options.Listeners.Tcp.Port = 70000;

        var result = new BrokerOptionsValidator().Validate(null, options);

        Assert.Contains("Broker:Listeners:Tcp:Port", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Broker:Users:0:PasswordHash", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_fails_fast_when_the_configuration_is_invalid()
    {
        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => BrokerInstance.StartAsync(new Dictionary<string, string> { ["Broker:DuplicateClientId"] = "takeover", ["Broker:MaxPayloadBytes"] = "0" }));

        Assert.Contains("Broker:MaxPayloadBytes", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tcp_listener_accepts_mqtt5_and_mqtt311_clients()
    {
        using var v5 = await Broker.ConnectAsync("host-v5");
        using var v311 = await Broker.ConnectAsync("host-v311", MqttProtocolVersion.V311);

        Assert.True(v5.IsConnected);
        Assert.True(v311.IsConnected);
    }

    [Fact]
    public async Task WebSocket_listener_on_its_own_port_carries_mqtt_to_tcp_subscribers()
    {
        using var subscriber = await Broker.ConnectAsync("ws-sub");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("ws/test");
        using var wsClient = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithWebSocketServer(o => o.WithUri($"ws://127.0.0.1:{Broker.WebSocketPort}/mqtt"))
            .WithClientId("ws-pub")
            .WithTimeout(BrokerInstance.Timeout)
            .Build();

        await wsClient.ConnectAsync(options);
        await wsClient.PublishStringAsync("ws/test", "over websocket");

        var messages = await received.WaitForAsync(1);
        Assert.Equal("over websocket", messages[0].ConvertPayloadToString());
    }

    [Fact]
    public async Task Readiness_probe_is_healthy_while_the_broker_listens()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Broker.HttpPort}") };

        using var ready = await http.GetAsync("/health/ready");
        using var live = await http.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.True(Broker.Services.GetRequiredService<IBrokerStatus>().IsListening);
    }

    [Fact]
    public async Task Metrics_endpoint_exposes_connection_and_message_counters_in_prometheus_format()
    {
        using var client = await Broker.ConnectAsync("metrics-client");
        await client.PublishStringAsync("metrics/test", "x", MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Broker.HttpPort}") };

        var text = await http.GetStringAsync("/metrics");

        Assert.Contains("# TYPE iotix_broker_connections gauge", text, StringComparison.Ordinal);
        Assert.Contains("iotix_broker_connections{listener=\"tcp\"}", text, StringComparison.Ordinal);
        var snapshot = Broker.Services.GetRequiredService<IBrokerMetrics>().GetSnapshot();
        Assert.True(snapshot.MessagesReceived >= 1);
        Assert.True(snapshot.BytesReceived > 0);
        Assert.True(snapshot.ConnectionsCurrent >= 1);
    }

    [Fact]
    public async Task Concurrent_stops_of_the_host_drain_and_stop_the_broker_once()
    {
        var broker = await BrokerInstance.StartAsync(
            new Dictionary<string, string> { ["Logging:LogLevel:IoTix.Broker.Server"] = "Information" },
            static b => b.Logging.AddFakeLogging());
        using var client = await broker.ConnectAsync("stop-twice");
        var disconnected = new TaskCompletionSource<MqttClientDisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += e =>
        {
            disconnected.TrySetResult(e.Reason);
            return Task.CompletedTask;
        };

        // What a WebApplicationFactory does: it stops the host while the entry point's RunAsync stops it too.
        await Task.WhenAll(broker.App.StopAsync(), broker.App.StopAsync(), broker.Services.GetRequiredService<BrokerHostedService>().StopAsync(CancellationToken.None));
        var events = broker.Services.GetFakeLogCollector().GetSnapshot()
            .Where(static r => r.Category == typeof(BrokerHostedService).FullName)
            .Select(static r => r.Id.Id)
            .ToList();
        var listening = broker.Services.GetRequiredService<IBrokerStatus>().IsListening;
        await broker.DisposeAsync(); // stops once more: nothing left to do

        Assert.Equal(1, events.Count(static id => id == 1004)); // "stopping: draining ..."
        Assert.Equal(1, events.Count(static id => id == 1005)); // "stopped"
        Assert.Equal(MqttClientDisconnectReason.ServerShuttingDown, await disconnected.Task.WaitAsync(BrokerInstance.Timeout));
        Assert.False(listening);
    }
}
