using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using IoTix.Core.Generators;
using IoTix.Core.Models;
using IoTix.Core.Payloads;

namespace IoTix.Tests.Core.Payloads;

public sealed class TelemetryPayloadWriterTests
{
    private const long Time = 1_772_600_767_089; // 2026-03-04T05:06:07.089Z

    private static TelemetryDefinition Item(string name, TelemetryDataType type, BinaryEncoding encoding = BinaryEncoding.Base64, string? config = null) => new()
    {
        Name = name,
        Type = type,
        Encoding = encoding,
        Generator = new GeneratorDefinition { Type = "custom", Handler = "x", Config = config is null ? null : JsonDocument.Parse(config).RootElement.Clone() },
    };

    private static DeviceModel Model(PayloadSettings? payload = null) => new()
    {
        Id = "m",
        Name = "m",
        Payload = payload ?? new PayloadSettings(),
        Telemetry =
        [
            Item("temperature", TelemetryDataType.Number),
            Item("count", TelemetryDataType.Integer),
            Item("open", TelemetryDataType.Boolean),
            Item("status", TelemetryDataType.String),
            Item("blob", TelemetryDataType.Binary),
            Item("samples", TelemetryDataType.Binary, BinaryEncoding.Array, """{"sampleSize":16}"""),
            Item("say \"hi\"", TelemetryDataType.Number),
        ],
    };

    private static TelemetryValue[] Values()
    {
        byte[] samples = new byte[6];
        BinaryPrimitives.WriteInt16LittleEndian(samples, -2);
        BinaryPrimitives.WriteInt16LittleEndian(samples.AsSpan(2), 300);
        BinaryPrimitives.WriteInt16LittleEndian(samples.AsSpan(4), 32767);
        return
        [
            new() { Type = TelemetryDataType.Number, Number = 22.5, HasValue = true },
            new() { Type = TelemetryDataType.Integer, Number = 72, HasValue = true },
            new() { Type = TelemetryDataType.Boolean, Boolean = true, HasValue = true },
            new() { Type = TelemetryDataType.String, Text = "connected", HasValue = true },
            new() { Type = TelemetryDataType.Binary, Binary = [1, 2, 3, 99], BinaryLength = 3, HasValue = true },
            new() { Type = TelemetryDataType.Binary, Binary = samples, BinaryLength = 6, HasValue = true },
            new() { Type = TelemetryDataType.Number, HasValue = false },
        ];
    }

    [Theory]
    [InlineData("dev-123456")]
    [InlineData("caf\u00e9 \"<7>\" \\ \u2603")]
    public void Writing_the_device_id_from_its_string_gives_the_same_bytes_as_the_encoded_id(string deviceId)
    {
        var layout = new TelemetryPayloadLayout(Model());
        var values = Values();
        int[] items = [0, 1, 2, 3, 4, 5, 6];
        var encodedWriter = new TelemetryPayloadWriter();
        var stringWriter = new TelemetryPayloadWriter();

        byte[] fromEncoded = encodedWriter.Write(layout, TelemetryPayloadLayout.EncodeDeviceId(deviceId), values, items, Time).ToArray();
        byte[] fromString = stringWriter.Write(layout, deviceId, values, items, Time).ToArray();

        Assert.Equal(Encoding.UTF8.GetString(fromEncoded), Encoding.UTF8.GetString(fromString));
        Assert.Equal(deviceId, JsonDocument.Parse(fromString).RootElement.GetProperty("deviceId").GetString());
    }

    [Fact]
    public void Json_message_has_device_id_timestamp_and_typed_values()
    {
        var writer = new TelemetryPayloadWriter();

        var bytes = writer.WriteAll(new TelemetryPayloadLayout(Model()), TelemetryPayloadLayout.EncodeDeviceId("dev-\"1\""), Values(), Time);

        using var doc = JsonDocument.Parse(bytes);
        var root = doc.RootElement;
        Assert.Equal("dev-\"1\"", root.GetProperty("deviceId").GetString());
        Assert.Equal("2026-03-04T05:06:07.089Z", root.GetProperty("timestamp").GetString());
        Assert.Equal(22.5, root.GetProperty("temperature").GetDouble());
        Assert.Equal("72", root.GetProperty("count").GetRawText());
        Assert.True(root.GetProperty("open").GetBoolean());
        Assert.Equal("connected", root.GetProperty("status").GetString());
        Assert.Equal(new byte[] { 1, 2, 3 }, root.GetProperty("blob").GetBytesFromBase64());
        Assert.Equal([-2, 300, 32767], root.GetProperty("samples").EnumerateArray().Select(e => e.GetInt32()));
        Assert.False(root.TryGetProperty("say \"hi\"", out _), "items without a value are left out");
        Assert.Equal(8, root.EnumerateObject().Count());
    }

    [Fact]
    public void Selected_items_only_are_written_in_the_given_order()
    {
        var writer = new TelemetryPayloadWriter();

        var bytes = writer.Write(new TelemetryPayloadLayout(Model()), TelemetryPayloadLayout.EncodeDeviceId("d"), Values(), [3, 0], Time);

        Assert.Equal("""{"deviceId":"d","timestamp":"2026-03-04T05:06:07.089Z","status":"connected","temperature":22.5}""", Encoding.UTF8.GetString(bytes.Span));
    }

    [Fact]
    public void Device_id_and_timestamp_can_be_left_out()
    {
        var writer = new TelemetryPayloadWriter();
        var layout = new TelemetryPayloadLayout(Model(new PayloadSettings { IncludeDeviceId = false, IncludeTimestamp = false }));

        var bytes = writer.Write(layout, TelemetryPayloadLayout.EncodeDeviceId("d"), Values(), [1], Time);

        Assert.Equal("""{"count":72}""", Encoding.UTF8.GetString(bytes.Span));
    }

    [Fact]
    public void Binary_format_sends_the_binary_item_raw_and_other_items_as_json()
    {
        var writer = new TelemetryPayloadWriter();
        var layout = new TelemetryPayloadLayout(Model(new PayloadSettings { Format = PayloadFormat.Binary }));
        var values = Values();

        byte[] raw = writer.Write(layout, TelemetryPayloadLayout.EncodeDeviceId("d"), values, [0, 4], Time).ToArray();
        string json = Encoding.UTF8.GetString(writer.Write(layout, TelemetryPayloadLayout.EncodeDeviceId("d"), values, [0], Time).Span);

        Assert.Equal(new byte[] { 1, 2, 3 }, raw);
        Assert.Contains("\"temperature\":22.5", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Array_encoding_without_sample_size_writes_unsigned_bytes_and_with_8_bits_signed_samples()
    {
        var model = new DeviceModel
        {
            Id = "m",
            Name = "m",
            Payload = new PayloadSettings { IncludeDeviceId = false, IncludeTimestamp = false },
            Telemetry = [Item("raw", TelemetryDataType.Binary, BinaryEncoding.Array), Item("ecg", TelemetryDataType.Binary, BinaryEncoding.Array, """{"sampleSize":8}""")],
        };
        TelemetryValue[] values =
        [
            new() { Type = TelemetryDataType.Binary, Binary = [0, 255], BinaryLength = 2, HasValue = true },
            new() { Type = TelemetryDataType.Binary, Binary = [0, 255], BinaryLength = 2, HasValue = true },
        ];

        var bytes = new TelemetryPayloadWriter().WriteAll(new TelemetryPayloadLayout(model), default, values, Time);

        Assert.Equal("""{"raw":[0,255],"ecg":[0,-1]}""", Encoding.UTF8.GetString(bytes.Span));
    }

    [Fact]
    public void Non_finite_numbers_become_null()
    {
        var writer = new TelemetryPayloadWriter();
        var values = Values();
        values[0].Number = double.NaN;

        var bytes = writer.Write(new TelemetryPayloadLayout(Model()), TelemetryPayloadLayout.EncodeDeviceId("d"), values, [0], Time);

        Assert.EndsWith("\"temperature\":null}", Encoding.UTF8.GetString(bytes.Span), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0L, "1970-01-01T00:00:00.000Z")]
    [InlineData(951_782_400_001L, "2000-02-29T00:00:00.001Z")]
    [InlineData(253_402_300_799_999L, "9999-12-31T23:59:59.999Z")]
    public void Timestamps_are_iso_8601_utc_with_milliseconds(long unixMs, string expected)
    {
        Span<byte> text = stackalloc byte[24];

        TelemetryPayloadWriter.FormatTimestamp(unixMs, text);

        Assert.Equal(expected, Encoding.ASCII.GetString(text));
        Assert.Equal(expected, DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Same_inputs_give_the_same_bytes_and_the_buffer_is_reused()
    {
        var writer = new TelemetryPayloadWriter();
        var layout = new TelemetryPayloadLayout(Model());
        var id = TelemetryPayloadLayout.EncodeDeviceId("d");

        byte[] first = writer.WriteAll(layout, id, Values(), Time).ToArray();
        writer.Write(layout, id, Values(), [1], Time + 5);
        byte[] again = writer.WriteAll(layout, id, Values(), Time).ToArray();

        Assert.Equal(first, again);
    }
}
