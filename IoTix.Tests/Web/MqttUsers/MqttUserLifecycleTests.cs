using System.Globalization;
using System.Net;
using System.Text;
using IoTix.Broker.Security;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;
using IoTix.Web.Data;
using IoTix.Web.MqttUsers;
using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Web.MqttUsers;

/// <summary>
/// A tenant's MQTT users over <c>/api/v1/mqtt-users</c> against the whole host and its broker (no anonymous clients):
/// created users connect (confined to the tenant's namespace), wrong passwords are refused, a revoked user's
/// connection is dropped and its next CONNECT refused. On SQLite and a throwaway PostgreSQL (subclasses below).
/// </summary>
public abstract class MqttUserLifecycleTests : IAsyncLifetime
{
    private readonly int _port = BrokerInstance.FreePort();
    private IoTixWebFactory _factory = null!;

    /// <summary>Settings selecting this test's database (a new one per test).</summary>
    protected abstract Task<Dictionary<string, string?>> DatabaseAsync();

    public async Task InitializeAsync()
    {
        var settings = await DatabaseAsync();
        settings["Broker:Enabled"] = "true";
        settings["Broker:AllowAnonymous"] = "false";
        settings["Broker:Listeners:Tcp:Port"] = _port.ToString(CultureInfo.InvariantCulture);
        settings["Broker:Listeners:WebSocket:Port"] = "0";
        settings["Broker:ShutdownDrainSeconds"] = "1";
        settings["IoTix:Models:Watch"] = "false";
        _factory = new IoTixWebFactory { Settings = settings };
        _ = _factory.Server;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task<(MqttClientConnectResult Result, IMqttClient Client)> ConnectAsync(string clientId, string username, string password)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", _port)
            .WithClientId(clientId)
            .WithCredentials(username, password)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithTimeout(BrokerInstance.Timeout)
            .Build();
        using var cancel = new CancellationTokenSource(BrokerInstance.Timeout);
        return (await client.ConnectAsync(options, cancel.Token), client);
    }

    [Fact]
    public async Task Create_connect_refuse_a_wrong_password_revoke_drops_the_connection_and_refuses_the_next()
    {
        using var admin = await _factory.CreateClientForAsync(TenantRoles.Admin, "mq-acme");

        var created = await admin.PostJsonAsync("/api/v1/mqtt-users", """{"name":"fleet"}""");
        var body = await created.JsonAsync();
        var password = body.GetProperty("password").GetString()!;
        var (ok, device) = await ConnectAsync("tenants/mq-acme/d1", "mq-acme/fleet", password);
        var dropped = new TaskCompletionSource<MqttClientDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        device.DisconnectedAsync += e =>
        {
            dropped.TrySetResult(e);
            return Task.CompletedTask;
        };
        var (wrong, wrongClient) = await ConnectAsync("tenants/mq-acme/d2", "mq-acme/fleet", password + "x");
        var (foreignId, foreignClient) = await ConnectAsync("d3", "mq-acme/fleet", password);
        var outside = await device.PublishStringAsync("devices/d1/telemetry", "x", MqttQualityOfServiceLevel.AtLeastOnce);
        var inside = await device.PublishStringAsync("tenants/mq-acme/devices/d1/telemetry", "x", MqttQualityOfServiceLevel.AtLeastOnce);
        var revoked = await admin.DeleteAsync($"/api/v1/mqtt-users/{body.GetProperty("id").GetString()}");
        var disconnect = await dropped.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var (again, againClient) = await ConnectAsync("tenants/mq-acme/d1", "mq-acme/fleet", password);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("mq-acme/fleet", body.GetProperty("username").GetString());
        Assert.Equal("tenants/mq-acme/", body.GetProperty("clientIdPrefix").GetString());
        Assert.True(password.Length >= 24, password);
        Assert.Equal(MqttClientConnectResultCode.Success, ok.ResultCode);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, wrong.ResultCode);
        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, foreignId.ResultCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, outside.ReasonCode);
        Assert.True(inside.IsSuccess);
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(MqttClientDisconnectReason.AdministrativeAction, disconnect.Reason);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, again.ResultCode);
        foreach (var client in new[] { device, wrongClient, foreignClient, againClient })
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task A_list_shows_only_the_tenants_users_without_passwords_and_another_tenant_gets_404()
    {
        using var acme = await _factory.CreateClientForAsync(TenantRoles.Owner, "mq-one");
        using var beta = await _factory.CreateClientForAsync(TenantRoles.Admin, "mq-two");
        var created = await (await acme.PostJsonAsync("/api/v1/mqtt-users", """{"name":"gateway","password":"correct-horse-battery"}""")).JsonAsync();
        var id = created.GetProperty("id").GetString()!;

        var acmeList = await acme.GetJsonAsync("/api/v1/mqtt-users");
        var betaList = await beta.GetJsonAsync("/api/v1/mqtt-users");
        var betaDelete = await beta.DeleteAsync($"/api/v1/mqtt-users/{id}");
        var duplicate = await acme.PostJsonAsync("/api/v1/mqtt-users", """{"name":"gateway"}""");
        var sameNameOtherTenant = await beta.PostJsonAsync("/api/v1/mqtt-users", """{"name":"gateway"}""");
        var (connected, client) = await ConnectAsync("tenants/mq-one/gw", "mq-one/gateway", "correct-horse-battery");

        Assert.Equal(JsonValueKindNull, created.GetProperty("password").ValueKind);
        var listed = Assert.Single(acmeList.EnumerateArray());
        Assert.Equal("mq-one/gateway", listed.GetProperty("username").GetString());
        Assert.False(listed.TryGetProperty("password", out _));
        Assert.False(listed.TryGetProperty("passwordHash", out _));
        Assert.Equal(0, betaList.GetArrayLength());
        await betaDelete.AssertProblemAsync(HttpStatusCode.NotFound);
        await duplicate.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.Created, sameNameOtherTenant.StatusCode);
        Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
        client.Dispose();
    }

    [Fact]
    public async Task Bad_names_and_short_passwords_are_400_and_the_stored_hash_is_the_brokers_pbkdf2_format()
    {
        using var admin = await _factory.CreateClientForAsync(TenantRoles.Admin, "mq-valid");

        var slash = await admin.PostJsonAsync("/api/v1/mqtt-users", """{"name":"a/b"}""");
        var wildcard = await admin.PostJsonAsync("/api/v1/mqtt-users", """{"name":"a+"}""");
        var shortPassword = await admin.PostJsonAsync("/api/v1/mqtt-users", """{"name":"ok","password":"short"}""");
        var created = await admin.PostJsonAsync("/api/v1/mqtt-users", """{"name":"hashed","password":"a-long-enough-password"}""");

        await slash.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "name");
        await wildcard.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "name");
        await shortPassword.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "password");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var system = TenantScope.EnterSystem();
        await using var context = _factory.Services.GetRequiredService<IoTixDatabase>().CreateDbContext();
        var row = await context.Set<MqttUserRecord>().AsNoTracking().SingleAsync(u => u.Username == "mq-valid/hashed");
        Assert.Equal("mq-valid", row.TenantId);
        Assert.DoesNotContain("a-long-enough-password", row.PasswordHash, StringComparison.Ordinal);
        Assert.True(BrokerPasswordHasher.Verify(row.PasswordHash, Encoding.UTF8.GetBytes("a-long-enough-password")));
    }

    [Fact]
    public async Task A_viewer_or_operator_cannot_manage_mqtt_users()
    {
        using var viewer = await _factory.CreateClientForAsync(TenantRoles.Viewer, "mq-roles");
        using var operatorClient = await _factory.CreateClientForAsync(TenantRoles.Operator, "mq-roles");

        var list = await viewer.GetAsync("/api/v1/mqtt-users");
        var create = await operatorClient.PostJsonAsync("/api/v1/mqtt-users", """{"name":"x"}""");

        await list.AssertProblemAsync(HttpStatusCode.Forbidden);
        await create.AssertProblemAsync(HttpStatusCode.Forbidden);
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;
}

public sealed class SqliteMqttUserLifecycleTests : MqttUserLifecycleTests
{
    protected override Task<Dictionary<string, string?>> DatabaseAsync() => Task.FromResult(new Dictionary<string, string?>());
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresMqttUserLifecycleTests(PostgresFixture postgres) : MqttUserLifecycleTests
{
    protected override async Task<Dictionary<string, string?>> DatabaseAsync() => new()
    {
        ["Database:Provider"] = "postgresql",
        ["ConnectionStrings:IoTix"] = await postgres.CreateDatabaseAsync("iotix_mqttusers"),
    };
}
