using IoTix.Broker.Devices;
using IoTix.Broker.Shadows;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker.Devices;

/// <summary>Shadows are stored in the IoTix database: they survive a broker restart and the pending delta still reaches the device.</summary>
public sealed class ShadowPersistenceTests
{
    [Fact]
    public async Task Shadow_survives_a_restart_with_its_version_sections_and_pending_delta()
    {
        var connection = BrokerInstance.TemporarySqlite(out var folder);
        var settings = new Dictionary<string, string> { ["ConnectionStrings:IoTix"] = connection };
        try
        {
            await using (var first = await BrokerInstance.StartAsync(settings))
            {
                var shadows = first.Services.GetRequiredService<IShadowService>();
                await shadows.UpdateAsync("restart-thing", ShadowTopicTests.Desired("""{"setpoint":18,"fan":"low"}"""));
                using var device = await first.ConnectAsync("restart-dev");
                var accepted = new MessageCollector(device);
                await device.SubscribeAsync(DeviceTopics.ShadowUpdate("restart-thing") + "/accepted", MqttQualityOfServiceLevel.AtLeastOnce);
                await ShadowTopicTests.PublishAsync(device, DeviceTopics.ShadowUpdate("restart-thing"), """{"state":{"reported":{"setpoint":18,"fan":"high"}}}""");
                await accepted.WaitForAsync(1, TimeSpan.FromSeconds(20));
            }

            await using var second = await BrokerInstance.StartAsync(settings);
            var restored = await second.Services.GetRequiredService<IShadowService>().GetAsync("restart-thing");
            using var reconnected = await second.ConnectAsync("restart-dev");
            var deltas = new MessageCollector(reconnected);
            await reconnected.SubscribeAsync(DeviceTopics.ShadowDelta("restart-thing"), MqttQualityOfServiceLevel.AtLeastOnce);

            Assert.NotNull(restored);
            Assert.Equal(2, restored.Version);
            Assert.Equal("high", restored.Reported!.Value.GetProperty("fan").GetString());
            var delta = ShadowTopicTests.Json((await deltas.WaitForAsync(1, TimeSpan.FromSeconds(20)))[0]);
            Assert.Equal("low", delta["state"]!["fan"]!.GetValue<string>());
            Assert.Null(delta["state"]!["setpoint"]);
        }
        finally
        {
            BrokerInstance.DeleteFolder(folder);
        }
    }
}
