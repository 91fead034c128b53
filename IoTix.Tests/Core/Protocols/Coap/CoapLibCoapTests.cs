using System.Text;
using IoTix.Core.Protocols;
using IoTix.Tests.Shared;

namespace IoTix.Tests.Core.Protocols.Coap;

/// <summary>The adapter against Debian's libcoap server (coap-server-notls) as the real peer.</summary>
public sealed class CoapLibCoapTests : IAsyncLifetime
{
    private LibCoapServer _server = null!;

    public async Task InitializeAsync() => _server = await LibCoapServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task Until(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + CoapKit.Wait;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Confirmable_PUT_creates_the_resource_coap_client_reads_back()
    {
        await using var adapter = CoapKit.Adapter();
        var (connection, _, topic) = CoapKit.Connect(adapter, CoapKit.Model(_server.Url("sensors/${deviceId}/soil"), method: "PUT"));
        var connected = await connection.ConnectAsync();

        var status = connection.TryPublish(topic, "{\"soilMoisture\":31.5}"u8, qos: 1, retain: false);
        await Until(() => Task.FromResult(adapter.GetCoapMetrics().Acknowledged == 1));
        var stored = await _server.ClientAsync("get", "sensors/dev-1/soil");

        Assert.True(connected.Succeeded, connected.Error);
        Assert.Equal(PublishStatus.Accepted, status);
        Assert.Equal("{\"soilMoisture\":31.5}", stored);
        Assert.Equal(1, adapter.GetCoapMetrics().Responses2xx);
        Assert.Equal(0, adapter.GetCoapMetrics().Retransmissions);
    }

    [Fact]
    public async Task NonConfirmable_POST_arrives_as_NON_and_is_stored()
    {
        await using var adapter = CoapKit.Adapter();
        var (connection, _, topic) = CoapKit.Connect(adapter, CoapKit.Model(_server.Url("meters/${deviceId}")), deviceId: "non-1");
        await connection.ConnectAsync();

        connection.TryPublish(topic, "{\"p\":7}"u8, qos: 0, retain: false);
        await Until(async () => await _server.ClientAsync("get", "meters/non-1") == "{\"p\":7}");

        Assert.Contains("t:NON c:POST", _server.ReadLog());
        Assert.Equal(1, adapter.GetCoapMetrics().NonConfirmable);
        Assert.Equal(0, adapter.GetCoapMetrics().Confirmable);
    }

    [Fact]
    public async Task Observing_the_time_resource_turns_notifications_into_commands()
    {
        await using var adapter = CoapKit.Adapter();
        var model = CoapKit.Model(_server.Url("t"), commands: """[ { "name": "tick", "topic": "time" } ]""");
        var (connection, events, _) = CoapKit.Connect(adapter, model);
        await connection.ConnectAsync();

        var first = await events.NextCommandAsync(TimeSpan.FromSeconds(5));
        var second = await events.NextCommandAsync(TimeSpan.FromSeconds(5));

        Assert.Equal("tick", first.Name);
        Assert.NotEqual(Encoding.UTF8.GetString(first.Payload), Encoding.UTF8.GetString(second.Payload)); // libcoap's clock, a new second each
        Assert.Equal(1, adapter.GetCoapMetrics().ObserveRegistrations);
        Assert.True(adapter.GetMetrics().CommandsReceived >= 2);
    }

    [Fact]
    public async Task Updating_an_observed_command_resource_delivers_the_command_with_its_payload()
    {
        await _server.ClientAsync("put", "commands/valve-1/setPosition", "{\"position\":0}");
        await using var adapter = CoapKit.Adapter();
        var model = CoapKit.Model(_server.Url("t"), commands: """[ { "name": "setPosition" } ]""");
        var (connection, events, _) = CoapKit.Connect(adapter, model, deviceId: "valve-1");
        await connection.ConnectAsync();
        await Until(() => Task.FromResult(adapter.GetCoapMetrics().ObserveRegistrations == 1));

        await _server.ClientAsync("put", "commands/valve-1/setPosition", "{\"position\":80}");
        var command = await events.NextCommandAsync(CoapKit.Wait);

        Assert.Equal("setPosition", command.Name);
        Assert.Equal("{\"position\":80}", Encoding.UTF8.GetString(command.Payload));
    }

    [Fact]
    public async Task Ping_on_connect_is_answered_by_libcoap()
    {
        await using var adapter = CoapKit.Adapter(configure: o => o.PingOnConnect = true);
        var (connection, _, _) = CoapKit.Connect(adapter, CoapKit.Model(_server.Url("x")));

        var result = await connection.ConnectAsync();

        Assert.True(result.Succeeded, result.Error);
        Assert.True(connection.IsConnected);
        Assert.Equal(1, adapter.GetMetrics().Connections);
    }

    [Fact]
    public async Task Many_devices_on_shared_sockets_all_store_their_telemetry()
    {
        await using var adapter = CoapKit.Adapter(configure: o => o.DevicesPerSocket = 8);
        var model = CoapKit.Model(_server.Url("many/${deviceId}"), method: "PUT");
        var connections = new List<(IDeviceConnection Connection, string Topic)>();
        for (int i = 0; i < 40; i++)
        {
            var (connection, _, topic) = CoapKit.Connect(adapter, model, $"m-{i}");
            await connection.ConnectAsync();
            connections.Add((connection, topic));
        }

        for (int i = 0; i < connections.Count; i++)
        {
            connections[i].Connection.TryPublish(connections[i].Topic, Encoding.UTF8.GetBytes($"{{\"i\":{i}}}"), qos: 1, retain: false);
        }

        await Until(() => Task.FromResult(adapter.GetCoapMetrics().Acknowledged == 40));

        Assert.Equal(5, adapter.GetCoapMetrics().Sockets);
        Assert.Equal("{\"i\":17}", await _server.ClientAsync("get", "many/m-17"));
        Assert.Equal("{\"i\":39}", await _server.ClientAsync("get", "many/m-39"));
    }
}
