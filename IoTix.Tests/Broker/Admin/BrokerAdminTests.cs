using System.Net;
using System.Text;
using IoTix.Broker;
using IoTix.Broker.Admin;
using IoTix.Broker.Limits;
using IoTix.Broker.Security;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker.Admin;

/// <summary>The console's admin facade and runtime settings against the real hosted broker.</summary>
public sealed class BrokerAdminTests : IClassFixture<BrokerFixture>
{
    private readonly BrokerInstance _broker;

    public BrokerAdminTests(BrokerFixture fixture) => _broker = fixture.Broker;

    private IBrokerAdmin Admin => _broker.Services.GetRequiredService<IBrokerAdmin>();

    [Fact]
    public async Task Clients_and_subscriptions_list_connected_clients_with_protocol_subscription_count_and_qos()
    {
        using var v5 = await _broker.ConnectAsync("admin-v5");
        using var v311 = await _broker.ConnectAsync("admin-v311", MqttProtocolVersion.V311);
        await v5.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("admin/a/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter("admin/b", MqttQualityOfServiceLevel.ExactlyOnce)
            .Build());

        var clients = await Admin.GetClientsAsync();
        var subscriptions = await Admin.GetSubscriptionsAsync();

        var first = Assert.Single(clients, c => c.ClientId == "admin-v5");
        Assert.Equal("5.0", first.ProtocolVersion);
        Assert.Equal("tcp", first.Listener);
        Assert.Equal(2, first.SubscriptionCount);
        Assert.StartsWith("127.0.0.1:", first.Endpoint, StringComparison.Ordinal);
        Assert.Equal("3.1.1", Assert.Single(clients, c => c.ClientId == "admin-v311").ProtocolVersion);
        var mine = subscriptions.Where(s => s.ClientId == "admin-v5").ToList();
        Assert.Equal(["admin/a/#", "admin/b"], mine.Select(s => s.TopicFilter));
        Assert.Equal([MqttQualityOfServiceLevel.AtLeastOnce, MqttQualityOfServiceLevel.ExactlyOnce], mine.Select(s => s.QualityOfService));
        Assert.All(mine, s => Assert.True(s.ClientConnected));
    }

    [Fact]
    public async Task A_deleted_retained_message_is_gone_for_new_subscribers()
    {
        using var publisher = await _broker.ConnectAsync("admin-retainer");
        await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("admin/retained/x").WithPayload("{\"v\":1}").WithRetainFlag().WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

        var before = await Admin.GetRetainedMessagesAsync();
        var deleted = await Admin.DeleteRetainedMessageAsync("admin/retained/x");
        var again = await Admin.DeleteRetainedMessageAsync("admin/retained/x");
        var after = await Admin.GetRetainedMessagesAsync();

        var message = Assert.Single(before, m => m.Topic == "admin/retained/x");
        Assert.Equal("{\"v\":1}", Encoding.UTF8.GetString(message.Preview));
        Assert.True(message.PreviewComplete);
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, message.QualityOfService);
        Assert.True(deleted.Succeeded, deleted.Message);
        Assert.Equal(BrokerAdminError.NotFound, again.Error);
        Assert.DoesNotContain(after, m => m.Topic == "admin/retained/x");
    }

    [Fact]
    public async Task Disconnect_closes_the_client_with_administrative_action()
    {
        using var client = await _broker.ConnectAsync("admin-kick");
        var disconnected = new TaskCompletionSource<MqttClientDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += e =>
        {
            disconnected.TrySetResult(e);
            return Task.CompletedTask;
        };

        var result = await Admin.DisconnectClientAsync("admin-kick");
        var unknown = await Admin.DisconnectClientAsync("admin-nobody");

        var args = await disconnected.Task.WaitAsync(BrokerInstance.Timeout);
        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(MqttClientDisconnectReason.AdministrativeAction, args.Reason);
        Assert.Equal(BrokerAdminError.NotFound, unknown.Error);
    }

    [Fact]
    public async Task Duplicate_client_id_policy_changed_at_run_time_applies_to_the_next_connect()
    {
        var settings = _broker.Services.GetRequiredService<IBrokerRuntimeSettings>();
        var original = settings.Requested;
        using var first = await _broker.ConnectAsync("admin-dup");
        try
        {
            var applied = settings.Apply(original with { DuplicateClientId = DuplicateClientIdPolicy.Reject });
            using var second = new MqttClientFactory().CreateMqttClient();
            var refused = await second.ConnectAsync(_broker.Options("admin-dup").Build());

            Assert.Equal(["duplicate client id policy"], applied.AppliedNow);
            Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, refused.ResultCode);
            Assert.True(first.IsConnected);
        }
        finally
        {
            settings.Apply(original);
        }
    }

    [Fact]
    public void Listeners_report_the_bound_tcp_port_and_off_states()
    {
        var listeners = Admin.GetListeners();

        var tcp = Assert.Single(listeners, l => l.Name == "tcp");
        Assert.Equal(BrokerListenerState.Listening, tcp.State);
        Assert.Equal(_broker.TcpPort, tcp.Port);
        Assert.Equal(BrokerListenerState.Off, Assert.Single(listeners, l => l.Name == "tls").State);
        Assert.Equal(BrokerListenerState.Listening, Assert.Single(listeners, l => l.Name == "ws").State);
    }

    [Fact]
    public void Without_an_acl_file_test_access_allows_everything_and_refuses_wildcards_in_publish()
    {
        var allowed = Admin.TestAccess(null, "c1", "any/topic", AclAccess.Publish);
        var wildcard = Admin.TestAccess(null, "c1", "any/#", AclAccess.Publish);

        Assert.True(allowed.Allowed);
        Assert.Contains("No ACL file", allowed.Reason, StringComparison.Ordinal);
        Assert.False(wildcard.Allowed);
        Assert.Contains("wildcards", wildcard.Reason, StringComparison.Ordinal);
    }
}

/// <summary>Runtime settings without a running broker.</summary>
public sealed class BrokerRuntimeSettingsTests
{
    private static (BrokerRuntimeSettings Settings, ConnectionRateLimiter Limiter) Create(int perSecond = 100)
    {
        var options = Options.Create(new BrokerOptions { ConnectionRateLimit = new ConnectionRateLimitOptions { PerIpPerSecond = perSecond, ExemptLoopback = false } });
        var limiter = new ConnectionRateLimiter(options, new FakeTimeProvider());
        return (new BrokerRuntimeSettings(options, limiter, new PayloadLimit(options.Value.MaxPayloadBytes)), limiter);
    }

    [Fact]
    public void A_lower_connection_rate_applies_to_the_next_connection_at_once()
    {
        var (settings, limiter) = Create(perSecond: 100);
        var address = IPAddress.Parse("192.0.2.7");

        var result = settings.Apply(settings.Requested with { ConnectionRatePerIpPerSecond = 2 });
        var decisions = Enumerable.Range(0, 3).Select(_ => limiter.Acquire(address)).ToList();

        Assert.Equal(["connection rate limit"], result.AppliedNow);
        Assert.Equal(TimeSpan.Zero, decisions[1].Delay);
        Assert.Equal(TimeSpan.FromMilliseconds(500), decisions[2].Delay);
    }

    [Fact]
    public void Rate_zero_turns_the_limit_off()
    {
        var (settings, limiter) = Create(perSecond: 1);

        settings.Apply(settings.Requested with { ConnectionRatePerIpPerSecond = 0 });

        Assert.False(limiter.IsEnabled);
        Assert.All(Enumerable.Range(0, 50), _ => Assert.Equal(RateLimitDecision.Now, limiter.Acquire(IPAddress.Parse("192.0.2.8"))));
    }

    [Fact]
    public void A_new_payload_limit_applies_at_once_and_invalid_values_change_nothing()
    {
        var options = Options.Create(new BrokerOptions());
        var limit = new PayloadLimit(options.Value.MaxPayloadBytes);
        var settings = new BrokerRuntimeSettings(options, new ConnectionRateLimiter(options, new FakeTimeProvider()), limit);
        var before = settings.Active;

        var invalid = settings.Apply(before with { MaxPayloadBytes = 0, ConnectionRatePerIpPerSecond = -1 });
        var unchanged = settings.Active;
        var payload = settings.Apply(before with { MaxPayloadBytes = 1024 });

        Assert.Equal(2, invalid.Errors.Count);
        Assert.Contains(invalid.Errors, e => e.Contains("Broker:MaxPayloadBytes", StringComparison.Ordinal));
        Assert.Contains(invalid.Errors, e => e.Contains("Broker:ConnectionRateLimit:PerIpPerSecond", StringComparison.Ordinal));
        Assert.Equal(before, unchanged);
        Assert.Equal(["payload limit"], payload.AppliedNow);
        Assert.Empty(payload.PendingRestart);
        Assert.Equal(1024, settings.Active.MaxPayloadBytes);
        Assert.Equal((1024, 1024L + (64 * 1024)), (limit.MaxPayloadBytes, limit.MaxPacketBytes));
    }
}

/// <summary>The ACL view and test form answers against a real ACL file.</summary>
public sealed class BrokerAdminAclTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("iotix-acl-admin-").FullName;
    private BrokerInstance _broker = null!;

    public async Task InitializeAsync()
    {
        var path = Path.Combine(_folder, "acl.json");
        await File.WriteAllTextAsync(path, """
            {
              "default": "deny",
              "rules": [
                { "permission": "allow", "action": "all", "topic": "devices/%u/#" },
                { "permission": "deny", "action": "all", "topic": "devices/alice/secret" }
              ]
            }
            """);
        _broker = await BrokerInstance.StartAsync(new Dictionary<string, string> { ["Broker:AclFile"] = path });
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public void Acl_view_shows_the_loaded_rules_their_file_and_load_time()
    {
        var acl = _broker.Services.GetRequiredService<IBrokerAdmin>().GetAcl();

        Assert.EndsWith("acl.json", acl.SourcePath, StringComparison.Ordinal);
        Assert.NotNull(acl.LoadedAt);
        Assert.False(acl.DefaultAllow);
        Assert.Equal(["devices/%u/#", "devices/alice/secret"], acl.Rules.Select(r => r.Topic));
    }

    [Fact]
    public void Test_access_names_the_deciding_rule_or_the_default()
    {
        var admin = _broker.Services.GetRequiredService<IBrokerAdmin>();

        var own = admin.TestAccess("alice", "c1", "devices/alice/temp", AclAccess.Publish);
        var secret = admin.TestAccess("alice", "c1", "devices/alice/secret", AclAccess.Publish);
        var other = admin.TestAccess("bob", "c2", "devices/alice/temp", AclAccess.Subscribe);

        Assert.True(own.Allowed);
        Assert.Contains("allow publish+subscribe devices/%u/#", own.Reason, StringComparison.Ordinal);
        Assert.False(secret.Allowed);
        Assert.Contains("deny", secret.Reason, StringComparison.Ordinal);
        Assert.False(other.Allowed);
        Assert.Contains("default (deny)", other.Reason, StringComparison.Ordinal);
    }
}
