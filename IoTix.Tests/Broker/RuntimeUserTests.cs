using IoTix.Broker.Security;
using IoTix.Broker.Server;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker;

/// <summary>The broker's runtime users (<see cref="IMqttUserSource"/>, a tenant's MQTT users of the host) on the hosted broker.</summary>
public sealed class RuntimeUserTests : IAsyncLifetime
{
    private readonly SwitchableUsers _users = new();
    private BrokerInstance _broker = null!;

    public async Task InitializeAsync() => _broker = await BrokerInstance.StartAsync(
        new Dictionary<string, string> { ["Broker:AllowAnonymous"] = "false" },
        builder => builder.Services.AddSingleton<IMqttUserSource>(_users));

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task A_runtime_tenant_user_connects_in_its_namespace_and_is_confined_to_it()
    {
        using var client = await _broker.ConnectAsync("tenants/rt/c1", configure: o => o.WithCredentials("rt/user", "runtime-secret"));

        var outside = await client.PublishStringAsync("devices/c1", "x", MqttQualityOfServiceLevel.AtLeastOnce);
        var inside = await client.PublishStringAsync("tenants/rt/devices/c1", "x", MqttQualityOfServiceLevel.AtLeastOnce);

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, outside.ReasonCode);
        Assert.True(inside.IsSuccess);
    }

    [Fact]
    public async Task A_user_revoked_while_its_connect_is_validated_is_dropped_once_connected()
    {
        var server = _broker.Services.GetRequiredService<BrokerHostedService>().Server!;
        server.ValidatingConnectionAsync += _ =>
        {
            _users.Revoked = true; // after the broker's own check accepted the user: the revocation's sweep cannot see this client yet
            return Task.CompletedTask;
        };
        using var client = new MqttClientFactory().CreateMqttClient();
        var dropped = new TaskCompletionSource<MqttClientDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += e =>
        {
            dropped.TrySetResult(e);
            return Task.CompletedTask;
        };

        var connected = await client.ConnectAsync(_broker.Options("tenants/rt/c2").WithCredentials("rt/user", "runtime-secret").Build());
        var disconnect = await dropped.Task.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
        Assert.Equal(MqttClientDisconnectReason.NotAuthorized, disconnect.Reason);
    }

    private sealed class SwitchableUsers : IMqttUserSource
    {
        private readonly MqttUserCredentials _user = new(BrokerPasswordHasher.HashPassword("runtime-secret"), "rt");

        public volatile bool Revoked;

        public bool TryFind(string username, out MqttUserCredentials user)
        {
            user = _user;
            return !Revoked && username == "rt/user";
        }
    }
}
