using System.Text;
using IoTix.Core.Generators;
using IoTix.Core.Protocols.Mqtt;
using Microsoft.Extensions.Options;

namespace IoTix.Tests.Core.Protocols.Mqtt;

public sealed class MqttCodecTests
{
    [Theory]
    [InlineData("a/b/c", "a/b/c", true)]
    [InlineData("a/+/c", "a/b/c", true)]
    [InlineData("a/+/c", "a/b/d", false)]
    [InlineData("a/#", "a/b/c", true)]
    [InlineData("a/#", "a", true)]
    [InlineData("#", "$SYS/x", false)]
    [InlineData("+/b", "a/b/c", false)]
    [InlineData("a/b", "a/b/c", false)]
    public void Topic_filter_matches_as_the_spec_says(string filter, string topic, bool expected)
    {
        Assert.Equal(expected, MqttTopicFilter.Matches(Encoding.UTF8.GetBytes(filter), Encoding.UTF8.GetBytes(topic)));
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 200)]
    [InlineData(2, 20_000)]
    public void Publish_is_encoded_with_header_length_topic_id_properties_and_payload(int qos, int payloadLength)
    {
        var payload = new byte[payloadLength];
        payload.AsSpan().Fill(0x41);
        byte[] properties = [3, 0x01, 0x01, 0x00]; // length 3: payload format 1, then one padding byte
        int size = MqttPacketWriter.PublishSize(3, qos, properties.Length, payload.Length, out int remaining);
        var buffer = new byte[size];

        int idOffset = MqttPacketWriter.WritePublish(buffer, "t/x", properties, payload, qos, retain: true, remaining);

        Assert.Equal(0x30 | (qos << 1) | 1, buffer[0]);
        var reader = new MqttPacketReader(buffer.AsSpan(1));
        Assert.True(reader.TryReadVarInt(out int decoded));
        Assert.Equal(remaining, decoded);
        Assert.Equal(size, 1 + MqttPacketWriter.VarIntSize(remaining) + remaining);
        Assert.True(reader.TryReadPrefixed(out var topic));
        Assert.Equal("t/x", Encoding.UTF8.GetString(topic));
        Assert.Equal(qos == 0 ? 0 : 1 + MqttPacketWriter.VarIntSize(remaining) + 5, idOffset);
        Assert.True(buffer.AsSpan(size - payloadLength).SequenceEqual(payload));
    }

    [Fact]
    public void Reader_fails_as_a_value_on_a_truncated_field()
    {
        var reader = new MqttPacketReader([0x00, 0x05, 0x61]);

        Assert.False(reader.TryReadPrefixed(out _));
    }

    [Fact]
    public void Reconnect_delays_grow_exponentially_are_capped_jittered_and_replay_for_the_same_device()
    {
        var policy = new MqttReconnectOptions { InitialDelayMs = 100, MaxDelayMs = 1000, Multiplier = 2, Jitter = 0.5 };
        var first = DeviceRandom.For(1, "device-1");
        var again = DeviceRandom.For(1, "device-1");

        var delays = Enumerable.Range(1, 6).Select(a => ReconnectBackoff.DelayMs(policy, a, ref first)).ToArray();
        var replay = Enumerable.Range(1, 6).Select(a => ReconnectBackoff.DelayMs(policy, a, ref again)).ToArray();

        Assert.Equal(delays, replay);
        long[] nominal = [100, 200, 400, 800, 1000, 1000];
        for (int i = 0; i < delays.Length; i++)
        {
            Assert.InRange(delays[i], nominal[i] / 2, nominal[i]);
        }
    }

    [Fact]
    public void Reason_codes_are_named_for_error_messages()
    {
        Assert.Equal("0x86 Bad User Name or Password", MqttReasonCodes.ReasonCode(0x86));
        Assert.Equal("0x04 bad user name or password", MqttReasonCodes.ConnectReturnCode(4));
        Assert.True(MqttReasonCodes.IsPermanentConnectFailure(0x86, v5: true));
        Assert.False(MqttReasonCodes.IsPermanentConnectFailure(0x88, v5: true));
    }

    [Fact]
    public void Options_validator_names_each_bad_key()
    {
        var options = new MqttAdapterOptions
        {
            LocalAddresses = ["127.0.0.2", "not-an-ip"],
            InflightWindow = 0,
            Reconnect = new MqttReconnectOptions { InitialDelayMs = 5000, MaxDelayMs = 1000, Jitter = 2 },
        };

        var result = new MqttAdapterOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("IoTix:Simulation:Mqtt:LocalAddresses:1 must be an IP address such as 127.0.0.2 (was 'not-an-ip').", result.Failures);
        Assert.Contains("IoTix:Simulation:Mqtt:InflightWindow must be 1..65535 (was 0).", result.Failures);
        Assert.Contains("IoTix:Simulation:Mqtt:Reconnect:MaxDelayMs (1000) must not be below Reconnect:InitialDelayMs (5000).", result.Failures);
        Assert.Contains("IoTix:Simulation:Mqtt:Reconnect:Jitter must be 0..1 (was 2).", result.Failures);
    }

    [Fact]
    public void Default_options_are_valid()
    {
        Assert.Equal(ValidateOptionsResult.Success, new MqttAdapterOptionsValidator().Validate(null, new MqttAdapterOptions()));
    }
}
