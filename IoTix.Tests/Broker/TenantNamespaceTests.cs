using IoTix.Broker.Admin;
using IoTix.Broker.Security;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;

namespace IoTix.Tests.Broker;

/// <summary>
/// On an open broker (anonymous clients allowed), a client id under <c>tenants/{t}/</c> is still for the users of
/// tenant t only: anonymous clients and platform users are refused (0x85 / 0x02), so nobody takes a tenant device's
/// session over.
/// </summary>
public sealed class TenantNamespaceTests : IAsyncLifetime
{
    private readonly ListLoggerProvider _logs = new();
    private BrokerInstance _broker = null!;

    public async Task InitializeAsync() => _broker = await BrokerInstance.StartAsync(
        new Dictionary<string, string>
        {
            ["Broker:AllowAnonymous"] = "true",
            ["Broker:Users:0:Username"] = "acme-device",
            ["Broker:Users:0:PasswordHash"] = BrokerPasswordHasher.HashPassword("acme-secret", 1),
            ["Broker:Users:0:Tenant"] = "acme",
            ["Broker:Users:1:Username"] = "ops",
            ["Broker:Users:1:PasswordHash"] = BrokerPasswordHasher.HashPassword("ops-secret", 1),
        },
        builder => builder.Logging.AddProvider(_logs));

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Theory]
    [InlineData(MqttProtocolVersion.V500)]
    [InlineData(MqttProtocolVersion.V311)]
    public async Task An_anonymous_client_with_a_tenants_client_id_is_refused_and_the_refusal_is_logged(MqttProtocolVersion version)
    {
        using var client = new MqttClientFactory().CreateMqttClient();

        var result = await client.ConnectAsync(_broker.Options("tenants/acme/lamp-" + version, version).Build());

        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, result.ResultCode); // 0x85, on 3.1.1 0x02 Identifier rejected
        var warning = Assert.Single(_logs.Entries, e => e.Id.Id == 1018 && e.Message.Contains("tenants/acme/lamp-" + version, StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("(anonymous)", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_platform_user_with_a_tenants_client_id_is_refused_with_0x85()
    {
        using var client = new MqttClientFactory().CreateMqttClient();

        var result = await client.ConnectAsync(_broker.Options("tenants/acme/ops-console").WithCredentials("ops", "ops-secret").Build());

        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, result.ResultCode);
        Assert.Contains(_logs.Entries, e => e.Id.Id == 1018 && e.Message.Contains("tenants/acme/ops-console", StringComparison.Ordinal) && e.Message.Contains("user ops", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Nobody_but_the_tenants_users_takes_over_a_tenant_devices_session()
    {
        using var device = await _broker.ConnectAsync("tenants/acme/meter", configure: o => o.WithCredentials("acme-device", "acme-secret"));
        using var anonymous = new MqttClientFactory().CreateMqttClient();
        using var platform = new MqttClientFactory().CreateMqttClient();

        var byAnonymous = await anonymous.ConnectAsync(_broker.Options("tenants/acme/meter").Build());
        var byPlatform = await platform.ConnectAsync(_broker.Options("tenants/acme/meter").WithCredentials("ops", "ops-secret").Build());

        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, byAnonymous.ResultCode);
        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, byPlatform.ResultCode);
        Assert.True(device.IsConnected);
        var clients = await _broker.Services.GetRequiredService<IBrokerAdmin>().GetClientsAsync();
        Assert.Equal("acme-device", Assert.Single(clients, c => c.ClientId == "tenants/acme/meter").UserName);
    }

    [Theory]
    [InlineData("tenants")]
    [InlineData("tenants/acme")]
    [InlineData("tenantsacme/x")]
    public async Task An_anonymous_client_id_outside_every_tenants_namespace_still_connects(string clientId)
    {
        using var client = new MqttClientFactory().CreateMqttClient();

        var result = await client.ConnectAsync(_broker.Options(clientId).Build());

        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
    }
}
