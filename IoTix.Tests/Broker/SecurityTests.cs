using System.Text;
using IoTix.Broker.Security;
using IoTix.Tests.Shared;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker;

public sealed class SecurityTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("iotix-acl-").FullName;
    private BrokerInstance _broker = null!;

    private string AclPath => Path.Combine(_directory, "acl.json");

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(AclPath, """
            {
              "default": "deny",
              "rules": [
                { "permission": "allow", "action": "all", "topic": "devices/%u/#" },
                { "permission": "allow", "action": "subscribe", "topic": "public/#" },
                { "permission": "allow", "action": "publish", "topic": "public/#", "user": "alice" },
                { "permission": "deny", "action": "all", "topic": "devices/alice/secret" }
              ]
            }
            """);
        _broker = await BrokerInstance.StartAsync(new Dictionary<string, string>
        {
            ["Broker:Users:0:Username"] = "alice",
            ["Broker:Users:0:PasswordHash"] = BrokerPasswordHasher.HashPassword("wonderland"),
            ["Broker:Users:1:Username"] = "bob",
            ["Broker:Users:1:PasswordHash"] = BrokerPasswordHasher.HashPassword("builder"),
            ["Broker:AllowAnonymous"] = "false",
            ["Broker:AclFile"] = AclPath,
        });
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Password_hash_verifies_only_the_original_password()
    {
        var hash = BrokerPasswordHasher.HashPassword("s3cret");

        Assert.True(BrokerPasswordHasher.Verify(hash, Encoding.UTF8.GetBytes("s3cret")));
        Assert.False(BrokerPasswordHasher.Verify(hash, Encoding.UTF8.GetBytes("s3cret ")));
        Assert.False(BrokerPasswordHasher.Verify("not-a-hash", Encoding.UTF8.GetBytes("s3cret")));
    }

    [Fact]
    public async Task Valid_credentials_are_accepted()
    {
        using var client = await _broker.ConnectAsync("alice-1", configure: o => o.WithCredentials("alice", "wonderland"));

        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task Wrong_password_on_mqtt5_is_refused_with_bad_user_name_or_password()
    {
        using var client = new MqttClientFactory().CreateMqttClient();

        var result = await client.ConnectAsync(_broker.Options("wrong").WithCredentials("alice", "guess").Build());

        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, result.ResultCode);
    }

    [Fact]
    public async Task Wrong_password_on_mqtt311_is_refused_with_return_code_4_for_mosquitto_pub()
    {
        var (exitCode, output) = await BrokerInstance.RunAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", $"{_broker.TcpPort}", "-V", "mqttv311", "-u", "alice", "-P", "guess", "-t", "x", "-m", "x");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("bad user name or password", output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Anonymous_client_is_refused_when_anonymous_access_is_off()
    {
        var (exitCode, output) = await BrokerInstance.RunAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", $"{_broker.TcpPort}", "-V", "mqttv311", "-t", "x", "-m", "x");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("not authorised", output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Acl_denied_publish_gets_puback_not_authorized_and_is_not_delivered()
    {
        using var alice = await _broker.ConnectAsync("alice-pub", configure: o => o.WithCredentials("alice", "wonderland"));
        var received = new MessageCollector(alice);
        await alice.SubscribeAsync("devices/alice/#", MqttQualityOfServiceLevel.AtLeastOnce);

        var denied = await alice.PublishStringAsync("devices/bob/cmd", "x", MqttQualityOfServiceLevel.AtLeastOnce);
        var deniedBySpecificRule = await alice.PublishStringAsync("devices/alice/secret", "x", MqttQualityOfServiceLevel.AtLeastOnce);
        var allowed = await alice.PublishStringAsync("devices/alice/telemetry", "ok", MqttQualityOfServiceLevel.AtLeastOnce);

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, denied.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, deniedBySpecificRule.ReasonCode);
        Assert.True(allowed.IsSuccess);
        var messages = await received.WaitForAsync(1);
        Assert.Equal("devices/alice/telemetry", messages[0].Topic);
    }

    [Fact]
    public async Task Acl_denied_subscribe_gets_not_authorized_on_mqtt5_and_failure_on_mqtt311()
    {
        using var bob5 = await _broker.ConnectAsync("bob-5", configure: o => o.WithCredentials("bob", "builder"));
        using var bob311 = await _broker.ConnectAsync("bob-311", MqttProtocolVersion.V311, o => o.WithCredentials("bob", "builder"));

        var v5 = await bob5.SubscribeAsync("devices/alice/#");
        var v311 = await bob311.SubscribeAsync("devices/alice/#");
        var allowed = await bob5.SubscribeAsync("public/news", MqttQualityOfServiceLevel.AtLeastOnce);

        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, v5.Items.Single().ResultCode);
        Assert.Equal(MqttClientSubscribeResultCode.UnspecifiedError, v311.Items.Single().ResultCode);
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, allowed.Items.Single().ResultCode);
    }

    [Fact]
    public async Task Acl_file_change_applies_to_connected_clients_next_publish_without_restart()
    {
        using var bob = await _broker.ConnectAsync("bob-reload", configure: o => o.WithCredentials("bob", "builder"));
        var before = await bob.PublishStringAsync("public/bob", "x", MqttQualityOfServiceLevel.AtLeastOnce);
        var store = (AclStore)_broker.Services.GetService(typeof(AclStore))!;
        var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.Reloaded += _ => reloaded.TrySetResult();

        await File.WriteAllTextAsync(AclPath, """
            # mosquitto-like text format
            pattern readwrite devices/%u/#
            user bob
            topic write public/#
            """);
        await reloaded.Task.WaitAsync(BrokerInstance.Timeout);
        var after = await bob.PublishStringAsync("public/bob", "x", MqttQualityOfServiceLevel.AtLeastOnce);

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, before.ReasonCode);
        Assert.NotEqual(MqttClientPublishReasonCode.NotAuthorized, after.ReasonCode);
    }
}

public sealed class AclPolicyTests
{
    [Fact]
    public void Text_format_applies_topic_lines_to_their_user_and_patterns_to_everyone()
    {
        var text = """
            topic read status/#
            user alice
            topic readwrite alice/#
            topic deny alice/private
            pattern write clients/%c/out
            """;

        Assert.True(AclPolicy.TryParse(text, out var policy, out var error), error);

        Assert.True(policy.IsAllowed(AclAccess.Subscribe, "status/+", "bob", "c1"));
        Assert.False(policy.IsAllowed(AclAccess.Publish, "status/x", "bob", "c1"));
        Assert.True(policy.IsAllowed(AclAccess.Publish, "alice/x", "alice", "c1"));
        Assert.False(policy.IsAllowed(AclAccess.Publish, "alice/x", "bob", "c1"));
        Assert.False(policy.IsAllowed(AclAccess.Publish, "alice/private", "alice", "c1"));
        Assert.True(policy.IsAllowed(AclAccess.Publish, "clients/c1/out", null, "c1"));
        Assert.False(policy.IsAllowed(AclAccess.Publish, "clients/c2/out", null, "c1"));
    }

    [Fact]
    public void Json_rules_match_client_id_patterns_and_reject_broader_subscriptions()
    {
        var json = """{ "rules": [ { "permission": "allow", "action": "subscribe", "topic": "sensors/+/temp", "clientId": "dash-*" } ] }""";

        Assert.True(AclPolicy.TryParse(json, out var policy, out var error), error);

        Assert.True(policy.IsAllowed(AclAccess.Subscribe, "sensors/+/temp", null, "dash-1"));
        Assert.True(policy.IsAllowed(AclAccess.Subscribe, "sensors/a/temp", null, "dash-1"));
        Assert.False(policy.IsAllowed(AclAccess.Subscribe, "sensors/#", null, "dash-1"));
        Assert.False(policy.IsAllowed(AclAccess.Subscribe, "sensors/a/temp", null, "other"));
    }

    [Fact]
    public void Invalid_documents_are_reported_not_thrown()
    {
        Assert.False(AclPolicy.TryParse("""{ "rules": [ { "permission": "maybe", "topic": "a" } ] }""", out _, out var jsonError));
        Assert.False(AclPolicy.TryParse("topic sometimes a/b c", out _, out var textError));

        Assert.Contains("permission", jsonError, StringComparison.Ordinal);
        Assert.Contains("line 1", textError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a/+/c", "a/b/c", true)]
    [InlineData("a/#", "a", true)]
    [InlineData("a/#", "a/b/c", true)]
    [InlineData("+/b", "a/b/c", false)]
    [InlineData("#", "$SYS/x", false)]
    [InlineData("a/b", "a/b/c", false)]
    public void Topic_filters_match_topic_names_per_the_spec(string filter, string topic, bool expected)
    {
        Assert.Equal(expected, MqttTopicMatch.Matches(filter, topic));
    }
}
