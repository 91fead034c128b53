using System.Text;
using IoTix.Broker.Devices;
using IoTix.Broker.Methods;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker.Devices;

/// <summary>Direct methods through the running broker: MQTT 5 Response Topic and Correlation Data with a real MQTTnet device (FR-039).</summary>
public sealed class DirectMethodTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private BrokerInstance Broker => fixture.Broker;

    [Fact]
    public async Task Method_request_carries_response_topic_and_correlation_data_and_the_answer_completes_the_call()
    {
        using var device = await Broker.ConnectAsync("method-dev-1");
        device.ApplicationMessageReceivedAsync += async e =>
        {
            var request = e.ApplicationMessage;
            await device.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic(request.ResponseTopic)
                .WithCorrelationData(request.CorrelationData)
                .WithUserProperty("status", Encoding.UTF8.GetBytes("202").AsMemory())
                .WithPayload("{\"echo\":" + request.ConvertPayloadToString() + "}")
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build());
        };
        await device.SubscribeAsync("$iotix/things/meter-1/methods/+", MqttQualityOfServiceLevel.AtLeastOnce);
        var methods = Broker.Services.GetRequiredService<IDirectMethods>();

        var result = await methods.InvokeAsync(new DirectMethodRequest("meter-1", "method-dev-1", "reboot", Encoding.UTF8.GetBytes("{\"delay\":5}"), TimeSpan.FromSeconds(20)));

        Assert.Equal(DirectMethodOutcome.Completed, result.Outcome);
        Assert.Equal(202, result.Status);
        Assert.Equal("{\"echo\":{\"delay\":5}}", Encoding.UTF8.GetString(result.Payload));
    }

    [Fact]
    public async Task Method_on_a_device_that_does_not_answer_times_out()
    {
        using var device = await Broker.ConnectAsync("method-dev-2");
        var requests = new MessageCollector(device);
        await device.SubscribeAsync(DeviceTopics.MethodRequest("meter-2", "slow"), MqttQualityOfServiceLevel.AtLeastOnce);
        var methods = Broker.Services.GetRequiredService<IDirectMethods>();

        var result = await methods.InvokeAsync(new DirectMethodRequest("meter-2", "method-dev-2", "slow", default, TimeSpan.FromMilliseconds(800)));

        Assert.Equal(DirectMethodOutcome.TimedOut, result.Outcome);
        var request = (await requests.WaitForAsync(1))[0];
        Assert.Equal(DeviceTopics.MethodResponse("meter-2", "slow"), request.ResponseTopic);
        Assert.Equal(16, request.CorrelationData.Length);
        Assert.True(request.MessageExpiryInterval is >= 1 and <= 2, $"expiry {request.MessageExpiryInterval}");
    }

    [Fact]
    public async Task Method_on_a_client_that_is_not_connected_is_offline_without_waiting()
    {
        var methods = Broker.Services.GetRequiredService<IDirectMethods>();

        var result = await methods.InvokeAsync(new DirectMethodRequest("meter-3", "method-dev-3", "reboot", default, TimeSpan.FromSeconds(30)));

        Assert.Equal(DirectMethodOutcome.Offline, result.Outcome);
        Assert.Contains("method-dev-3", result.Message, StringComparison.Ordinal);
    }
}
