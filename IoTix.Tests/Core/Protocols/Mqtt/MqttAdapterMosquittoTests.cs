using System.Text;
using IoTix.Core.Devices;
using IoTix.Core.Protocols.Mqtt;
using IoTix.Core.Strategies;
using IoTix.Tests.Shared;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IoTix.Tests.Core.Protocols.Mqtt;

/// <summary>Simulated MQTT devices (engine + lean adapter) against Debian's mosquitto on loopback.</summary>
public sealed class MqttAdapterMosquittoTests(MosquittoFixture fixture) : IClassFixture<MosquittoFixture>
{
    private MosquittoInstance Mosquitto => fixture.Mosquitto;

    private Task<IMqttClient> Connect(string id) => Mosquitto.ConnectClientAsync(id);

    [Theory]
    [InlineData("5", 0)]
    [InlineData("5", 1)]
    [InlineData("5", 2)]
    [InlineData("3.1.1", 0)]
    [InlineData("3.1.1", 1)]
    [InlineData("3.1.1", 2)]
    public async Task Telemetry_arrives_with_the_device_topic_payload_and_qos(string version, int qos)
    {
        await using var harness = new MqttEngineHarness();
        var model = MqttModels.Sensor(Mosquitto.Port, $"\"mqttVersion\": \"{version}\", \"qos\": {qos}");
        string group = "tel" + Guid.NewGuid().ToString("N")[..8];
        var (subscriber, messages) = await MqttModels.SubscribeAsync(Connect, $"it/{group}-0/telemetry");

        harness.StartGroup(model, 1, group);
        var received = await messages.WaitForAsync(3);

        Assert.All(received, m => Assert.Equal($"it/{group}-0/telemetry", m.Topic));
        Assert.All(received, m => Assert.Equal((MqttQualityOfServiceLevel)qos, m.QualityOfServiceLevel));
        Assert.Equal([1.0, 2.0, 3.0], received.Take(3).Select(MqttModels.Temperature));
        Assert.Contains($"\"deviceId\":\"{group}-0\"", MqttModels.Text(received[0]), StringComparison.Ordinal);
        Assert.Equal(version == "5" ? "application/json" : null, received[0].ContentType);
        Assert.True(harness.Adapter.GetMetrics().MessagesPublished >= 3);
        subscriber.Dispose();
    }

    [Fact]
    public async Task Mosquitto_sub_prints_the_model_user_properties_of_each_device()
    {
        await using var harness = new MqttEngineHarness();
        var model = MqttModels.Sensor(Mosquitto.Port, """
            "userProperties": { "device": "${deviceId}", "fleet": "north" }
            """, intervalMs: 100);
        string group = "mup" + Guid.NewGuid().ToString("N")[..8];
        var start = new System.Diagnostics.ProcessStartInfo("mosquitto_sub")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "-h", "127.0.0.1", "-p", Mosquitto.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-V", "5", "-F", "%t %P", "-C", "2", "-W", "20", "-t", $"it/{group}-0/telemetry" })
        {
            start.ArgumentList.Add(arg);
        }

        using var sub = System.Diagnostics.Process.Start(start)!;
        var output = sub.StandardOutput.ReadToEndAsync();
        harness.StartGroup(model, 1, group); // publishes every 100 ms: a subscription made after the first message gets the next two

        await sub.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(2, lines.Length);
        Assert.All(lines, line => Assert.Equal($"it/{group}-0/telemetry device:{group}-0 fleet:north", line.Trim()));
    }

    [Theory]
    [InlineData("5", MqttQualityOfServiceLevel.AtLeastOnce)]
    [InlineData("5", MqttQualityOfServiceLevel.ExactlyOnce)]
    [InlineData("3.1.1", MqttQualityOfServiceLevel.AtLeastOnce)]
    [InlineData("3.1.1", MqttQualityOfServiceLevel.AtMostOnce)]
    public async Task Command_published_to_the_command_topic_runs_the_command_behaviour(string version, MqttQualityOfServiceLevel qos)
    {
        await using var harness = new MqttEngineHarness();
        var model = MqttModels.Sensor(Mosquitto.Port, $"\"mqttVersion\": \"{version}\"", MqttModels.RebootCommand, intervalMs: 60_000);
        string group = "cmd" + Guid.NewGuid().ToString("N")[..8];
        string device = group + "-0";
        var (client, acks) = await MqttModels.SubscribeAsync(Connect, $"it/{device}/ack");
        harness.StartGroup(model, 1, group);
        await harness.WaitForStateAsync(device, DeviceState.Running);

        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"it/{device}/cmd/reboot").WithPayload("{\"reason\":\"update\"}").WithQualityOfServiceLevel(qos).Build());
        var ack = await acks.WaitForAsync(1);

        Assert.Equal("{\"rebooted\":true,\"reason\":\"update\"}", MqttModels.Text(ack[0]));
        Assert.Equal(1, harness.Adapter.GetMetrics().CommandsReceived);
        client.Dispose();
    }

    [Fact]
    public async Task Dropout_closes_the_socket_abruptly_so_mosquitto_publishes_the_last_will_and_stop_does_not()
    {
        await using var harness = new MqttEngineHarness();
        var model = MqttModels.Sensor(Mosquitto.Port, """
            "lastWill": { "topic": "it/${deviceId}/status", "payload": "offline-${deviceId}", "qos": 1 }
            """, intervalMs: 60_000);
        string group = "will" + Guid.NewGuid().ToString("N")[..8];
        var (client, status) = await MqttModels.SubscribeAsync(Connect, $"it/{group}-0/status");
        await client.SubscribeAsync($"it/{group}-1/status", MqttQualityOfServiceLevel.AtLeastOnce);
        harness.StartGroup(model, 2, group);
        await harness.WaitForStateAsync($"{group}-0", DeviceState.Running);
        await harness.WaitForStateAsync($"{group}-1", DeviceState.Running);

        var dropped = harness.Engine.Dropout(group, new DropoutPlan { Strategy = DropoutStrategyKind.Immediate, Count = 1 });
        var will = await status.WaitForAsync(1);
        string droppedId = dropped.Value!.Devices[0].DeviceId;
        string keptId = droppedId == $"{group}-0" ? $"{group}-1" : $"{group}-0";
        Assert.True(harness.Engine.StopDevice(keptId).Succeeded);
        await harness.WaitForStateAsync(keptId, DeviceState.Stopped);
        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"it/{keptId}/status").WithPayload("marker").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        var all = await status.WaitForAsync(2);

        Assert.Equal($"it/{droppedId}/status", will[0].Topic);
        Assert.Equal($"offline-{droppedId}", MqttModels.Text(will[0]));
        Assert.Equal("marker", MqttModels.Text(all[1])); // the gracefully stopped device's will was discarded
        client.Dispose();
    }

    [Fact]
    public async Task Idle_device_sends_PINGREQ_in_time_and_mosquitto_keeps_it_connected()
    {
        await using var harness = new MqttEngineHarness();
        var model = MqttModels.Sensor(Mosquitto.Port, """
            "keepAlive": 2, "lastWill": { "topic": "it/${deviceId}/status", "payload": "offline" }
            """, intervalMs: 600_000);
        string group = "ka" + Guid.NewGuid().ToString("N")[..8];
        var (client, status) = await MqttModels.SubscribeAsync(Connect, $"it/{group}-0/status");
        harness.StartGroup(model, 1, group);
        await harness.WaitForStateAsync($"{group}-0", DeviceState.Running);

        // mosquitto closes a client silent for 1.5 keep-alives (3 s) and publishes its will.
        await Task.Delay(TimeSpan.FromSeconds(6));

        Assert.Empty(status.Messages);
        Assert.True(harness.Engine.TryGetDevice($"{group}-0", out var device));
        Assert.Equal(DeviceState.Running, device.State);
        Assert.Equal(1, harness.Adapter.GetMetrics().Connections);
        client.Dispose();
    }

    [Fact]
    public async Task Group_endpoint_override_wins_over_the_model_address()
    {
        await using var harness = new MqttEngineHarness();
        var model = MqttModels.Sensor(BrokerInstance.FreePort(), broker: "127.0.0.1");
        string group = "ovr" + Guid.NewGuid().ToString("N")[..8];
        var (client, messages) = await MqttModels.SubscribeAsync(Connect, $"it/{group}-0/telemetry");

        harness.StartGroup(model, 1, group, endpointOverride: $"127.0.0.1:{Mosquitto.Port}");

        Assert.NotEmpty(await messages.WaitForAsync(1));
        client.Dispose();
    }

    [Fact]
    public async Task Configured_broker_host_and_port_replace_the_model_address()
    {
        await using var harness = new MqttEngineHarness(new Dictionary<string, string?>
        {
            ["MQTT_BROKER_HOST"] = "localhost",
            ["MQTT_BROKER_PORT"] = Mosquitto.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var model = MqttModels.Sensor(1, broker: "mqtt.example.invalid");
        string group = "env" + Guid.NewGuid().ToString("N")[..8];
        var (client, messages) = await MqttModels.SubscribeAsync(Connect, $"it/{group}-0/telemetry");

        harness.StartGroup(model, 1, group);

        Assert.NotEmpty(await messages.WaitForAsync(1));
        client.Dispose();
    }

    [Fact]
    public async Task Unreachable_broker_fails_the_device_after_its_first_connect_attempts_with_the_endpoint_and_socket_error()
    {
        await using var harness = new MqttEngineHarness();
        int closed = BrokerInstance.FreePort();
        var model = MqttModels.Sensor(closed);
        string group = "down" + Guid.NewGuid().ToString("N")[..8];

        harness.StartGroup(model, 1, group);
        await harness.WaitForStateAsync($"{group}-0", DeviceState.Failed);

        Assert.True(harness.Engine.TryGetDeviceMetrics($"{group}-0", out var metrics));
        Assert.Equal($"TCP connect to 127.0.0.1:{closed} failed: ConnectionRefused", metrics.LastError);
        // Transient failures of a first connect are retried (Reconnect:FirstConnectAttempts, default 3), then the device fails.
        Assert.Equal(new MqttReconnectOptions().FirstConnectAttempts, harness.Adapter.GetMetrics().ConnectFailures);
    }
}

/// <summary>Broker restarts and persistent sessions: each test owns its mosquitto.</summary>
public sealed class MqttAdapterSessionTests
{
    [Fact]
    public async Task Device_reconnects_with_backoff_after_mosquitto_restarts_and_resumes_publishing()
    {
        await using var mosquitto = await MosquittoInstance.StartAsync();
        await using var harness = new MqttEngineHarness();
        var model = MqttModels.Sensor(mosquitto.Port, intervalMs: 100);
        string group = "rc" + Guid.NewGuid().ToString("N")[..8];
        string device = group + "-0";
        harness.StartGroup(model, 1, group);
        await harness.WaitForStateAsync(device, DeviceState.Running);

        await mosquitto.StopProcessAsync();
        await harness.WaitForStateAsync(device, DeviceState.Reconnecting);
        await mosquitto.StartProcessAsync();
        var (client, messages) = await MqttModels.SubscribeAsync(id => mosquitto.ConnectClientAsync(id), $"it/{device}/telemetry");
        var resumed = await messages.WaitForAsync(2);

        var states = harness.Transitions.Where(t => t.DeviceId == device).Select(t => t.To).ToArray();
        Assert.Equal([DeviceState.Starting, DeviceState.Running, DeviceState.Dropped, DeviceState.Reconnecting, DeviceState.Running], states);
        Assert.True(MqttModels.Temperature(resumed[1]) > MqttModels.Temperature(resumed[0]));
        Assert.Equal(2, harness.Adapter.GetMetrics().Connections);
        client.Dispose();
    }

    [Fact]
    public async Task Persistent_session_receives_a_QoS1_command_queued_while_the_device_was_offline()
    {
        await using var mosquitto = await MosquittoInstance.StartAsync();
        await using var harness = new MqttEngineHarness();
        var model = MqttModels.Sensor(mosquitto.Port, "\"cleanSession\": false", MqttModels.RebootCommand, intervalMs: 60_000);
        string group = "ps" + Guid.NewGuid().ToString("N")[..8];
        string device = group + "-0";
        var (client, acks) = await MqttModels.SubscribeAsync(id => mosquitto.ConnectClientAsync(id), $"it/{device}/ack");
        harness.StartGroup(model, 1, group);
        await harness.WaitForStateAsync(device, DeviceState.Running);
        Assert.True(harness.Engine.StopDevice(device).Succeeded);
        await harness.WaitForStateAsync(device, DeviceState.Stopped);
        await Task.Delay(200); // let mosquitto see the DISCONNECT before the command is queued for the offline session

        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"it/{device}/cmd/reboot").WithPayload("{\"reason\":\"offline\"}").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        Assert.True(harness.Engine.StartDevice(device).Succeeded);
        var ack = await acks.WaitForAsync(1);

        Assert.Equal("{\"rebooted\":true,\"reason\":\"offline\"}", Encoding.UTF8.GetString(ack[0].Payload));
        client.Dispose();
    }

    [Fact]
    public async Task Clean_session_device_does_not_receive_commands_sent_while_offline()
    {
        await using var mosquitto = await MosquittoInstance.StartAsync();
        await using var harness = new MqttEngineHarness();
        var model = MqttModels.Sensor(mosquitto.Port, "\"cleanSession\": true", MqttModels.RebootCommand, intervalMs: 60_000);
        string group = "cs" + Guid.NewGuid().ToString("N")[..8];
        string device = group + "-0";
        var (client, acks) = await MqttModels.SubscribeAsync(id => mosquitto.ConnectClientAsync(id), $"it/{device}/ack");
        harness.StartGroup(model, 1, group);
        await harness.WaitForStateAsync(device, DeviceState.Running);
        Assert.True(harness.Engine.StopDevice(device).Succeeded);
        await harness.WaitForStateAsync(device, DeviceState.Stopped);
        await Task.Delay(200);

        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"it/{device}/cmd/reboot").WithPayload("{\"reason\":\"lost\"}").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        Assert.True(harness.Engine.StartDevice(device).Succeeded);
        await harness.WaitForStateAsync(device, DeviceState.Running);
        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"it/{device}/cmd/reboot").WithPayload("{\"reason\":\"online\"}").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        var ack = await acks.WaitForAsync(1);

        Assert.Equal("{\"rebooted\":true,\"reason\":\"online\"}", Encoding.UTF8.GetString(ack[0].Payload));
        client.Dispose();
    }
}
