using System.Net;
using IoTix.Broker;
using IoTix.Broker.Admin;
using IoTix.Broker.Limits;
using IoTix.Broker.Sessions;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;
using MQTTnet.Formatter;

namespace IoTix.Tests.Broker;

public sealed class LimitsTests
{
    // The mechanics are tested on loopback addresses, so these limiters do not exempt loopback.
    private static ConnectionRateLimiter Limiter(FakeTimeProvider time, int perSecond = 100, int maxQueued = 3, bool exemptLoopback = false) =>
        new(Options.Create(new BrokerOptions { ConnectionRateLimit = new ConnectionRateLimitOptions { PerIpPerSecond = perSecond, MaxQueuedPerIp = maxQueued, ExemptLoopback = exemptLoopback } }), time);

    [Fact]
    public void By_default_loopback_bursts_are_not_limited_but_other_addresses_are()
    {
        var limiter = new ConnectionRateLimiter(Options.Create(new BrokerOptions()), new FakeTimeProvider());
        var remote = IPAddress.Parse("192.0.2.10");

        var loopback = Enumerable.Range(0, 1000).Select(i => limiter.Acquire(IPAddress.Parse($"127.0.{i % 3}.1"))).ToList();
        var v6Loopback = limiter.Acquire(IPAddress.IPv6Loopback);
        var remoteDecisions = Enumerable.Range(0, 101).Select(_ => limiter.Acquire(remote)).ToList();

        Assert.All(loopback, d => Assert.Equal(RateLimitDecision.Now, d));
        Assert.Equal(RateLimitDecision.Now, v6Loopback);
        Assert.Equal(RateLimitDecision.Now, remoteDecisions[99]);
        Assert.True(remoteDecisions[100].Delay > TimeSpan.Zero, "the 101st connection in one second from a remote address waits");
    }

    [Fact]
    public void Connections_within_the_per_ip_rate_are_admitted_at_once()
    {
        var limiter = Limiter(new FakeTimeProvider());

        var decisions = Enumerable.Range(0, 100).Select(_ => limiter.Acquire(IPAddress.Loopback)).ToList();

        Assert.All(decisions, d => Assert.Equal(RateLimitDecision.Now, d));
    }

    [Fact]
    public void Excess_connections_are_queued_with_growing_backoff_then_refused_when_the_queue_is_full()
    {
        var limiter = Limiter(new FakeTimeProvider());
        for (var i = 0; i < 100; i++)
        {
            limiter.Acquire(IPAddress.Loopback);
        }

        var queued = Enumerable.Range(0, 3).Select(_ => limiter.Acquire(IPAddress.Loopback)).ToList();
        var refused = limiter.Acquire(IPAddress.Loopback);
        var otherIp = limiter.Acquire(IPAddress.Parse("127.0.0.2"));

        Assert.Equal([10, 20, 30], queued.Select(d => (int)d.Delay.TotalMilliseconds));
        Assert.False(refused.Accepted);
        Assert.Equal(RateLimitDecision.Now, otherIp);
    }

    [Fact]
    public void Rate_budget_refills_as_time_passes()
    {
        var time = new FakeTimeProvider();
        var limiter = Limiter(time, perSecond: 10);
        for (var i = 0; i < 10; i++)
        {
            limiter.Acquire(IPAddress.Loopback);
        }

        time.Advance(TimeSpan.FromMilliseconds(500));

        Assert.Equal(RateLimitDecision.Now, limiter.Acquire(IPAddress.Loopback));
    }

    [Fact]
    public async Task Session_expiry_monitor_deletes_a_session_only_after_its_interval()
    {
        var time = new FakeTimeProvider();
        using var monitor = new SessionExpiryMonitor(time, NullLogger<SessionExpiryMonitor>.Instance);
        var deleted = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        monitor.Start(id =>
        {
            deleted.TrySetResult(id);
            return Task.CompletedTask;
        });
        monitor.Disconnected("kept", 60);
        monitor.Disconnected("expiring", 5);

        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(deleted.Task.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal("expiring", await deleted.Task.WaitAsync(BrokerInstance.Timeout));
        Assert.Equal(1, monitor.TrackedCount);
    }

    [Fact]
    public async Task Reject_policy_refuses_a_second_connection_with_the_same_client_id()
    {
        await using var broker = await BrokerInstance.StartAsync(new Dictionary<string, string> { ["Broker:DuplicateClientId"] = "reject" });
        using var first = await broker.ConnectAsync("only-one");
        using var second = new MqttClientFactory().CreateMqttClient();

        var result = await second.ConnectAsync(broker.Options("only-one").Build());

        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, result.ResultCode);
        Assert.True(first.IsConnected);
    }

    [Fact]
    public async Task Graceful_shutdown_disconnects_mqtt5_clients_with_server_shutting_down()
    {
        var broker = await BrokerInstance.StartAsync();
        using var client = await broker.ConnectAsync("shutdown-watcher");
        var disconnected = new TaskCompletionSource<MqttClientDisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += e =>
        {
            disconnected.TrySetResult(e.Reason);
            return Task.CompletedTask;
        };

        await broker.DisposeAsync();

        Assert.Equal(MqttClientDisconnectReason.ServerShuttingDown, await disconnected.Task.WaitAsync(BrokerInstance.Timeout));
    }

    [Fact]
    public async Task Payload_limit_lowered_at_run_time_refuses_the_next_oversize_publish_of_a_connected_client_and_is_announced_to_new_ones()
    {
        await using var broker = await BrokerInstance.StartAsync();
        var settings = broker.Services.GetRequiredService<IBrokerRuntimeSettings>();
        using var connected = await broker.ConnectAsync("payload-connected");
        var disconnected = new TaskCompletionSource<MqttClientDisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        connected.DisconnectedAsync += e =>
        {
            disconnected.TrySetResult(e.Reason);
            return Task.CompletedTask;
        };

        var applied = settings.Apply(settings.Active with { MaxPayloadBytes = 1000 });
        using var fresh = new MqttClientFactory().CreateMqttClient();
        var connAck = await fresh.ConnectAsync(broker.Options("payload-fresh").Build());
        _ = connected.PublishBinaryAsync("limits/big", new byte[2000]).ContinueWith(static _ => { }, TaskScheduler.Default);

        Assert.Equal(["payload limit"], applied.AppliedNow);
        Assert.Empty(applied.PendingRestart);
        Assert.Equal(1000u + (64 * 1024), connAck.MaximumPacketSize);
        Assert.Equal(MqttClientDisconnectReason.PacketTooLarge, await disconnected.Task.WaitAsync(BrokerInstance.Timeout));
    }

    [Fact]
    public async Task Payload_limit_raised_at_run_time_lets_a_connected_client_publish_what_the_start_limit_refused()
    {
        await using var broker = await BrokerInstance.StartAsync(new Dictionary<string, string> { ["Broker:MaxPayloadBytes"] = "1000" });
        var settings = broker.Services.GetRequiredService<IBrokerRuntimeSettings>();
        using var subscriber = await broker.ConnectAsync("payload-raised-sub");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("limits/raised");
        using var publisher = await broker.ConnectAsync("payload-raised-pub", MqttProtocolVersion.V311);

        settings.Apply(settings.Active with { MaxPayloadBytes = 200_000 });
        // Over the start limit's packet size (1000 + 64 KiB), which the connection's fixed-header check used to refuse.
        await publisher.PublishBinaryAsync("limits/raised", new byte[100_000]);

        var message = Assert.Single(await received.WaitForAsync(1));
        Assert.Equal(100_000, message.Payload.Length);
        Assert.True(publisher.IsConnected);
        Assert.Equal(200_000, settings.Active.MaxPayloadBytes);
    }
}
