using System.Text.Json;
using IoTix.Core.Devices;
using IoTix.Core.Models;
using IoTix.Tests.Shared;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace IoTix.Tests.Core.Devices;

/// <summary>An engine on a fake clock with a recording adapter; models built from JSON.</summary>
internal sealed class EngineFixture : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public EngineFixture(long seed = 42, bool start = true, SimulationOptions? options = null, FakeTimeProvider? time = null)
    {
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        options ??= new SimulationOptions();
        options.Seed = seed;
        Engine = new SimulationEngine(Time, Options.Create(options), [Adapter], IoTix.Tests.Core.Generators.GeneratorKit.NewFactory(), Logger);
        if (start)
        {
            Engine.Start();
        }
    }

    public FakeTimeProvider Time { get; }

    public RecordingProtocolAdapter Adapter { get; } = new();

    public ListLogger<SimulationEngine> Logger { get; } = new();

    public SimulationEngine Engine { get; }

    public void Advance(int ms) => Time.Advance(TimeSpan.FromMilliseconds(ms));

    public static DeviceModel Model(string json) => JsonSerializer.Deserialize<DeviceModel>(json, Json)!;

    /// <summary>A sensor with a sequence temperature (1, 2, 3 ...) every <paramref name="intervalMs"/>.</summary>
    public static DeviceModel Sensor(int intervalMs = 1000, string extra = "") => Model($$"""
        {
          "id": "seq-sensor", "name": "Sequence sensor", "type": "sensor", "protocol": "mqtt",
          "connection": { "topicPattern": "devices/${deviceId}/telemetry" },
          "telemetry": [
            { "name": "temperature", "type": "number", "generator": { "type": "sequence", "start": 1, "step": 1 }, "intervalMs": {{intervalMs}} }
          ]{{extra}}
        }
        """);

    public string CreateGroup(DeviceModel model, int count, string groupId = "g", string? idPattern = null)
    {
        var result = Engine.CreateGroup(model, new DeviceGroupSpec { ModelId = model.Id, Count = count, GroupId = groupId, IdPattern = idPattern });
        Assert.True(result.Succeeded, result.ToString());
        return groupId;
    }

    public ValueTask DisposeAsync() => Engine.DisposeAsync();
}
