using System.Buffers;
using System.Text;
using System.Text.Json;
using IoTix.Core;
using IoTix.Core.Devices;
using IoTix.Core.Models;
using IoTix.Core.Protocols;
using IoTix.Core.Protocols.Mqtt;
using IoTix.Tests.Shared;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Core.Protocols.Mqtt;

/// <summary>The engine from <c>AddIoTixCore</c> with the real MQTT adapter on real time; waits on state changes, not sleeps.</summary>
internal sealed class MqttEngineHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly ServiceProvider _services;
    private readonly List<(string DeviceId, DeviceState State, TaskCompletionSource Signal)> _waiters = [];
    private readonly List<DeviceStateChangedEventArgs> _transitions = [];

    public MqttEngineHarness(IDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["IoTix:Simulation:Seed"] = "7",
            ["IoTix:Simulation:Mqtt:Reconnect:InitialDelayMs"] = "200",
            ["IoTix:Simulation:Mqtt:Reconnect:MaxDelayMs"] = "1000",
            ["IoTix:Models:Path"] = Path.Combine(Path.GetTempPath(), "iotix-no-models"),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddIoTixCore(configuration);
        _services = services.BuildServiceProvider();
        Adapter = _services.GetServices<IProtocolAdapter>().OfType<MqttProtocolAdapter>().Single();
        Engine = _services.GetRequiredService<SimulationEngine>();
        Engine.DeviceStateChanged += OnStateChanged;
        Engine.Start();
    }

    public SimulationEngine Engine { get; }

    public MqttProtocolAdapter Adapter { get; }

    public IReadOnlyList<DeviceStateChangedEventArgs> Transitions
    {
        get
        {
            lock (_waiters)
            {
                return [.. _transitions];
            }
        }
    }

    public string StartGroup(DeviceModel model, int count = 1, string? groupId = null, string? endpointOverride = null)
    {
        groupId ??= "g" + Guid.NewGuid().ToString("N")[..8];
        var created = Engine.CreateGroup(model, new DeviceGroupSpec { ModelId = model.Id, Count = count, GroupId = groupId, EndpointOverride = endpointOverride });
        Assert.True(created.Succeeded, created.ToString());
        Assert.True(Engine.StartGroup(groupId).Succeeded);
        return groupId;
    }

    /// <summary>Waits until <paramref name="deviceId"/> is (or becomes) <paramref name="state"/>.</summary>
    public async Task WaitForStateAsync(string deviceId, DeviceState state, TimeSpan? timeout = null)
    {
        TaskCompletionSource signal;
        lock (_waiters)
        {
            if (Engine.TryGetDevice(deviceId, out var device) && device.State == state)
            {
                return;
            }

            signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((deviceId, state, signal));
        }

        try
        {
            await signal.Task.WaitAsync(timeout ?? Timeout);
        }
        catch (TimeoutException)
        {
            Engine.TryGetDevice(deviceId, out var device);
            Assert.Fail($"device {deviceId} did not reach {state}; it is {device?.State} (last error: {(Engine.TryGetDeviceMetrics(deviceId, out var m) ? m.LastError : "?")})");
        }
    }

    private void OnStateChanged(object? sender, DeviceStateChangedEventArgs e)
    {
        lock (_waiters)
        {
            _transitions.Add(e);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].DeviceId == e.DeviceId && _waiters[i].State == e.To)
                {
                    _waiters[i].Signal.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        await _services.DisposeAsync();
    }
}

internal static class MqttModels
{
    /// <summary>A sensor publishing a sequence temperature (1, 2, 3 ...) every <paramref name="intervalMs"/>; <paramref name="connection"/> and <paramref name="extra"/> are JSON fragments.</summary>
    public static DeviceModel Sensor(int port, string connection = "", string extra = "", int intervalMs = 200, string broker = "127.0.0.1") =>
        JsonSerializer.Deserialize<DeviceModel>($$"""
        {
          "id": "mqtt-test-{{Guid.NewGuid():N}}", "name": "MQTT test sensor", "type": "sensor", "protocol": "mqtt",
          "connection": { "broker": "{{broker}}", "port": {{port}}, "topicPattern": "it/${deviceId}/telemetry"{{(connection.Length > 0 ? "," + connection : string.Empty)}} },
          "telemetry": [
            { "name": "temperature", "type": "number", "generator": { "type": "sequence", "start": 1, "step": 1 }, "intervalMs": {{intervalMs}} }
          ]{{extra}}
        }
        """, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

    /// <summary>Commands reboot (ack published as <c>it/{id}/ack</c>) on <c>it/{id}/cmd/reboot</c>.</summary>
    public const string RebootCommand = """
        ,
        "commands": [ { "name": "reboot", "topic": "it/${deviceId}/cmd/reboot", "parameters": [ { "name": "reason", "type": "string" } ] } ],
        "behaviors": [
          { "name": "ack", "trigger": { "type": "command", "command": "reboot" },
            "action": { "type": "publish", "topic": "it/${deviceId}/ack", "payload": { "rebooted": true, "reason": "${reason}" } } }
        ]
        """;

    public static async Task<(IMqttClient Client, MessageCollector Messages)> SubscribeAsync(Func<string, Task<IMqttClient>> connect, string filter, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.ExactlyOnce)
    {
        var client = await connect("sub-" + Guid.NewGuid().ToString("N")[..8]);
        var messages = new MessageCollector(client);
        await client.SubscribeAsync(filter, qos);
        return (client, messages);
    }

    public static string Text(MqttApplicationMessage message) => Encoding.UTF8.GetString(message.Payload);

    public static double Temperature(MqttApplicationMessage message) =>
        JsonDocument.Parse(message.Payload.ToArray()).RootElement.GetProperty("temperature").GetDouble();
}
