using System.Text.Json;
using IoTix.Core.Generators;
using IoTix.Core.Models;
using IoTix.Core.Payloads;

namespace IoTix.Tests.Core.Payloads;

/// <summary>Writing a message allocates nothing once the writer is warm (a correctness property, not a timing test).</summary>
public sealed class PayloadAllocationTests
{
    private static TelemetryDefinition Item(string name, TelemetryDataType type, BinaryEncoding encoding = BinaryEncoding.Base64) =>
        new() { Name = name, Type = type, Encoding = encoding, Generator = new GeneratorDefinition { Type = "constant" } };

    [Theory]
    [InlineData(PayloadFormat.Json)]
    [InlineData(PayloadFormat.Binary)]
    public void Ten_thousand_messages_allocate_nothing_after_warm_up(PayloadFormat format)
    {
        var model = new DeviceModel
        {
            Id = "m",
            Name = "m",
            Payload = new PayloadSettings { Format = format },
            Telemetry =
            [
                Item("temperature", TelemetryDataType.Number),
                Item("count", TelemetryDataType.Integer),
                Item("open", TelemetryDataType.Boolean),
                Item("status", TelemetryDataType.String),
                Item("blob", TelemetryDataType.Binary),
                Item("bytes", TelemetryDataType.Binary, BinaryEncoding.Array),
            ],
        };
        TelemetryValue[] values =
        [
            new() { Type = TelemetryDataType.Number, Number = 22.123456789, HasValue = true },
            new() { Type = TelemetryDataType.Integer, Number = 72, HasValue = true },
            new() { Type = TelemetryDataType.Boolean, Boolean = true, HasValue = true },
            new() { Type = TelemetryDataType.String, Text = "connected", HasValue = true },
            new() { Type = TelemetryDataType.Binary, Binary = new byte[400], BinaryLength = 400, HasValue = true },
            new() { Type = TelemetryDataType.Binary, Binary = new byte[16], BinaryLength = 16, HasValue = true },
        ];
        var layout = new TelemetryPayloadLayout(model);
        var writer = new TelemetryPayloadWriter();
        JsonEncodedText id = TelemetryPayloadLayout.EncodeDeviceId("device-000042");
        int[] due = [0, 2, 4, 5];
        long length = 0;
        for (int i = 0; i < 1_000; i++)
        {
            length += writer.WriteAll(layout, id, values, 1_772_600_767_089 + i).Length;
            length += writer.Write(layout, id, values, due, 1_772_600_767_089 + i).Length;
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            values[0].Number += 0.25;
            length += writer.WriteAll(layout, id, values, 1_772_600_767_089 + i).Length;
            length += writer.Write(layout, id, values, due, 1_772_600_767_089 + i).Length;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(length > 0);
    }
}
