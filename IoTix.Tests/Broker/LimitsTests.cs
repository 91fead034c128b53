using System.Net;
using IoTix.Broker;
using IoTix.Broker.Limits;
using IoTix.Broker.Sessions;
using IoTix.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;

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
}
