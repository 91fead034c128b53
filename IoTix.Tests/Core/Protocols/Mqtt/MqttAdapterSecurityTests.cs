using IoTix.Core.Devices;
using IoTix.Tests.Shared;
using MQTTnet;

namespace IoTix.Tests.Core.Protocols.Mqtt;

/// <summary>TLS (CA, wrong CA, client certificates) and username/password against mosquitto.</summary>
public sealed class MqttAdapterSecurityTests
{
    private const string PasswordVariable = "IOTIX_TEST_MQTT_PASSWORD";

    private static string Json(string path) => path.Replace("\\", "\\\\", StringComparison.Ordinal);

    private static async Task<(DeviceState State, string? Error)> RunOneAsync(MqttEngineHarness harness, IoTix.Core.Models.DeviceModel model)
    {
        string group = "sec" + Guid.NewGuid().ToString("N")[..8];
        harness.StartGroup(model, 1, group);
        string device = group + "-0";
        var running = harness.WaitForStateAsync(device, DeviceState.Running);
        var failed = harness.WaitForStateAsync(device, DeviceState.Failed);
        await Task.WhenAny(running, failed);
        Assert.True(harness.Engine.TryGetDeviceMetrics(device, out var metrics));
        return (metrics.State, metrics.LastError);
    }

    [Fact]
    public async Task Tls_with_the_signing_CA_connects_and_publishes()
    {
        var certs = await TestCertificates.GetAsync();
        await using var mosquitto = await MosquittoInstance.StartAsync(new MosquittoSettings { Tls = true });
        await using var harness = new MqttEngineHarness();
        var model = MqttModels.Sensor(mosquitto.Port, $$"""
            "tls": { "caFile": "{{Json(certs.CaFile)}}" }
            """, broker: "localhost");

        var (state, error) = await RunOneAsync(harness, model);

        Assert.True(state == DeviceState.Running, error);
        Assert.Equal(1, harness.Adapter.GetMetrics().Connections);
    }

    [Fact]
    public async Task Tls_with_a_CA_that_did_not_sign_the_server_fails_clearly()
    {
        var certs = await TestCertificates.GetAsync();
        await using var mosquitto = await MosquittoInstance.StartAsync(new MosquittoSettings { Tls = true });
        await using var harness = new MqttEngineHarness();
        var model = MqttModels.Sensor(mosquitto.Port, $$"""
            "tls": { "caFile": "{{Json(certs.OtherCaFile)}}" }
            """, broker: "localhost");

        var (state, error) = await RunOneAsync(harness, model);

        Assert.Equal(DeviceState.Failed, state);
        Assert.Contains($"TLS handshake with localhost:{mosquitto.Port} failed", error, StringComparison.Ordinal);
        Assert.Contains("is not signed by caFile " + certs.OtherCaFile, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mutual_tls_presents_the_client_certificate()
    {
        var certs = await TestCertificates.GetAsync();
        await using var mosquitto = await MosquittoInstance.StartAsync(new MosquittoSettings { Tls = true, RequireClientCertificate = true });
        await using var harness = new MqttEngineHarness();
        var withCert = MqttModels.Sensor(mosquitto.Port, $$"""
            "tls": { "caFile": "{{Json(certs.CaFile)}}", "certFile": "{{Json(certs.ClientCertFile)}}", "keyFile": "{{Json(certs.ClientKeyFile)}}" }
            """, broker: "127.0.0.1");
        var withoutCert = MqttModels.Sensor(mosquitto.Port, $$"""
            "tls": { "caFile": "{{Json(certs.CaFile)}}" }
            """, broker: "127.0.0.1");

        var (state, error) = await RunOneAsync(harness, withCert);
        var (refused, _) = await RunOneAsync(harness, withoutCert);

        Assert.True(state == DeviceState.Running, error);
        Assert.Equal(DeviceState.Failed, refused);
    }

    [Theory]
    [InlineData("5", "CONNACK 0x87 Not authorized")]
    [InlineData("3.1.1", "CONNACK 0x05 not authorized")]
    public async Task Username_and_password_from_the_environment_connect_and_a_wrong_password_fails_with_the_reason_code(string version, string reason)
    {
        Environment.SetEnvironmentVariable(PasswordVariable, "s3cret");
        await using var mosquitto = await MosquittoInstance.StartAsync(new MosquittoSettings { Users = new Dictionary<string, string> { ["device-user"] = "s3cret" } });
        await using var harness = new MqttEngineHarness();
        var good = MqttModels.Sensor(mosquitto.Port, $$"""
            "mqttVersion": "{{version}}", "credentials": { "username": "device-user", "password": "${env:{{PasswordVariable}}}" }
            """);
        var bad = MqttModels.Sensor(mosquitto.Port, $$"""
            "mqttVersion": "{{version}}", "credentials": { "username": "device-user", "password": "wrong" }
            """);

        var (state, error) = await RunOneAsync(harness, good);
        var (badState, badError) = await RunOneAsync(harness, bad);

        Assert.True(state == DeviceState.Running, error);
        Assert.Equal(DeviceState.Failed, badState);
        Assert.Equal($"127.0.0.1:{mosquitto.Port} refused the connection: {reason}", badError);
    }

    [Fact]
    public async Task Password_naming_an_unset_environment_variable_fails_the_connect_with_the_variable_name()
    {
        await using var harness = new MqttEngineHarness();
        var model = MqttModels.Sensor(BrokerInstance.FreePort(), """
            "credentials": { "username": "u", "password": "${env:IOTIX_TEST_UNSET_VARIABLE}" }
            """);

        var (state, error) = await RunOneAsync(harness, model);

        Assert.Equal(DeviceState.Failed, state);
        Assert.Contains("connection.credentials.password: environment variable IOTIX_TEST_UNSET_VARIABLE is not set", error, StringComparison.Ordinal);
    }
}
