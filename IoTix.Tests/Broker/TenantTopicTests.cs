using IoTix.Broker.Security;
using IoTix.Tests.Shared;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker;

/// <summary>A tenant's MQTT users (<c>Broker:Users:N:Tenant</c>) are confined to <c>tenants/{tenant}/</c> on the hosted broker.</summary>
public sealed class TenantTopicTests : IAsyncLifetime
{
    private BrokerInstance _broker = null!;

    /// <summary>Tenant users (<c>acme-device</c> / <c>acme-secret</c> of acme, <c>beta-device</c> / <c>beta-secret</c> of beta), a platform user (<c>ops</c> / <c>ops-secret</c>), no anonymous clients.</summary>
    internal static Dictionary<string, string> TenantUsers() => new()
    {
        ["Broker:Users:0:Username"] = "acme-device",
        ["Broker:Users:0:PasswordHash"] = BrokerPasswordHasher.HashPassword("acme-secret"),
        ["Broker:Users:0:Tenant"] = "acme",
        ["Broker:Users:1:Username"] = "ops",
        ["Broker:Users:1:PasswordHash"] = BrokerPasswordHasher.HashPassword("ops-secret"),
        ["Broker:Users:2:Username"] = "beta-device",
        ["Broker:Users:2:PasswordHash"] = BrokerPasswordHasher.HashPassword("beta-secret"),
        ["Broker:Users:2:Tenant"] = "beta",
        ["Broker:AllowAnonymous"] = "false",
    };

    public async Task InitializeAsync() => _broker = await BrokerInstance.StartAsync(TenantUsers());

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task A_tenants_user_publishes_and_subscribes_only_under_its_tenant_prefix()
    {
        using var acme = await _broker.ConnectAsync("tenants/acme/1", configure: o => o.WithCredentials("acme-device", "acme-secret"));

        var inside = await acme.PublishStringAsync("tenants/acme/devices/1/telemetry", "ok", MqttQualityOfServiceLevel.AtLeastOnce);
        var outside = await acme.PublishStringAsync("devices/1/telemetry", "x", MqttQualityOfServiceLevel.AtLeastOnce);
        var otherTenant = await acme.PublishStringAsync("tenants/acme2/devices/1/telemetry", "x", MqttQualityOfServiceLevel.AtLeastOnce);
        var own = await acme.SubscribeAsync("tenants/acme/#", MqttQualityOfServiceLevel.AtLeastOnce);
        var everything = await acme.SubscribeAsync("#");
        var allTenants = await acme.SubscribeAsync("tenants/+/devices/#");

        Assert.True(inside.IsSuccess);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, outside.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, otherTenant.ReasonCode);
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, own.Items.Single().ResultCode);
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, everything.Items.Single().ResultCode);
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, allTenants.Items.Single().ResultCode);
    }

    [Fact]
    public async Task A_platform_user_without_a_tenant_is_not_confined()
    {
        using var ops = await _broker.ConnectAsync("ops-1", configure: o => o.WithCredentials("ops", "ops-secret"));

        var anywhere = await ops.PublishStringAsync("devices/1/telemetry", "ok", MqttQualityOfServiceLevel.AtLeastOnce);
        var everything = await ops.SubscribeAsync("#", MqttQualityOfServiceLevel.AtLeastOnce);

        Assert.True(anywhere.IsSuccess);
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, everything.Items.Single().ResultCode);
    }
}

/// <summary>The prefix rule of <see cref="TenantTopics"/> on its own.</summary>
public sealed class TenantTopicsTests
{
    [Theory]
    [InlineData("tenants/acme/x", true)]
    [InlineData("tenants/acme/#", true)]
    [InlineData("$share/workers/tenants/acme/#", true)]
    [InlineData("tenants/acme", false)]
    [InlineData("tenants/acme2/x", false)]
    [InlineData("tenants/+/x", false)]
    [InlineData("$share/workers/#", false)]
    [InlineData("#", false)]
    public void IsInside_accepts_only_topics_and_filters_under_the_tenants_prefix(string topic, bool inside) =>
        Assert.Equal(inside, TenantTopics.IsInside("acme", topic));
}
