using System.Globalization;
using IoTix.Core.Devices;
using IoTix.Core.Protocols;
using IoTix.Tests.Shared;

namespace IoTix.Tests.Core.Protocols.Mqtt;

/// <summary>
/// A group's or device's <see cref="ConnectionCredentials"/> replace the model's <c>connection.credentials</c> in CONNECT
/// (against mosquitto with a password file); a device added to a group inherits them only when it connects where the group does.
/// </summary>
public sealed class CredentialsOverrideTests
{
    private static readonly ConnectionCredentials Override = new("host-user", "host-secret");

    [Theory]
    [InlineData("5")]
    [InlineData("3.1.1")]
    public async Task The_override_replaces_the_models_credentials_in_connect(string version)
    {
        await using var mosquitto = await MosquittoInstance.StartAsync(new MosquittoSettings { Users = new Dictionary<string, string> { ["host-user"] = "host-secret" } });
        await using var harness = new MqttEngineHarness();
        var model = MqttModels.Sensor(mosquitto.Port, $$"""
            "mqttVersion": "{{version}}", "credentials": { "username": "model-user", "password": "wrong" }
            """);
        var created = harness.Engine.CreateGroup(model, new DeviceGroupSpec { ModelId = model.Id, GroupId = "ov", CredentialsOverride = Override });
        Assert.True(created.Succeeded, created.ToString());

        Assert.True(harness.Engine.StartGroup("ov").Succeeded);
        await harness.WaitForStateAsync("ov-0", DeviceState.Running);

        Assert.Equal("host-user (password hidden)", Override.ToString());
    }

    [Fact]
    public async Task A_device_added_to_a_group_inherits_the_groups_credentials_only_without_an_endpoint_of_its_own()
    {
        await using var mosquitto = await MosquittoInstance.StartAsync(new MosquittoSettings { Users = new Dictionary<string, string> { ["host-user"] = "host-secret" } });
        await using var harness = new MqttEngineHarness();
        var model = MqttModels.Sensor(mosquitto.Port);
        Assert.True(harness.Engine.CreateGroup(model, new DeviceGroupSpec { ModelId = model.Id, GroupId = "inh", CredentialsOverride = Override }).Succeeded);

        var follower = harness.Engine.CreateDevice(model, new DeviceSpec { DeviceId = "follower", GroupId = "inh" });
        var elsewhere = harness.Engine.CreateDevice(model, new DeviceSpec { DeviceId = "elsewhere", GroupId = "inh", EndpointOverride = "127.0.0.1:" + mosquitto.Port.ToString(CultureInfo.InvariantCulture) });
        Assert.True(harness.Engine.StartDevice("follower").Succeeded);
        Assert.True(harness.Engine.StartDevice("elsewhere").Succeeded);
        await harness.WaitForStateAsync("follower", DeviceState.Running);
        await harness.WaitForStateAsync("elsewhere", DeviceState.Failed);

        Assert.True(follower.Succeeded && elsewhere.Succeeded);
        Assert.True(harness.Engine.TryGetDeviceMetrics("elsewhere", out var metrics));
        Assert.Contains("refused the connection", metrics.LastError, StringComparison.Ordinal);
    }
}
