using IoTix.Core.Generators;
using IoTix.Core.Models;
using static IoTix.Tests.Core.Generators.GeneratorKit;

namespace IoTix.Tests.Core.Generators;

public sealed class ReplayGeneratorTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("iotix-replay-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string WriteCsv(string name, string content)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static TelemetryDefinition Replay(string file, string column, bool? loop = null, string? timestampColumn = null, TelemetryDataType type = TelemetryDataType.Number, string? config = null) =>
        Item(type, new GeneratorDefinition
        {
            Type = "replay",
            DataFile = file,
            Column = column,
            Loop = loop,
            TimestampColumn = timestampColumn,
            Config = config is null ? null : Json(config),
        });

    [Fact]
    public void Replay_loops_back_to_the_first_row_by_default()
    {
        WriteCsv("readings.csv", "time,value\n1,10.5\n2,11\n3,12.25\n");
        var generator = Create(Replay("readings.csv", "value"), directory: _directory);

        Assert.Equal([10.5, 11, 12.25, 10.5, 11], Numbers(generator, TelemetryDataType.Number, 5));
    }

    [Fact]
    public void Replay_without_loop_holds_the_last_value()
    {
        WriteCsv("readings.csv", "value\r\n1\r\n2\r\n3\r\n");
        var generator = Create(Replay("readings.csv", "value", loop: false), directory: _directory);

        Assert.Equal([1, 2, 3, 3, 3], Numbers(generator, TelemetryDataType.Number, 5));
    }

    [Fact]
    public void Replay_reads_quoted_fields_and_matches_headers_case_insensitively()
    {
        WriteCsv("labels.csv", "\"Id\",\"Label\"\n1,\"a, b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n");
        var generator = Create(Replay("labels.csv", "label", type: TelemetryDataType.String), directory: _directory);
        var value = new TelemetryValue { Type = TelemetryDataType.String };
        var texts = new List<string>();

        for (int i = 0; i < 3; i++)
        {
            generator.Next(ref value, i);
            texts.Add(value.Text!);
        }

        Assert.Equal(["a, b", "say \"hi\"", "two\nlines"], texts);
    }

    [Fact]
    public void Replay_with_a_timestamp_column_keeps_the_recorded_spacing()
    {
        WriteCsv("timed.csv", "ts,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:00:01Z,2\n2026-01-01T00:00:03.5Z,3\n2026-01-01T00:00:04Z,4\n");
        var generator = Create(Replay("timed.csv", "value", timestampColumn: "ts"), directory: _directory);
        var value = new TelemetryValue { Type = TelemetryDataType.Number };
        var intervals = new List<int?>();

        Assert.Null(generator.NextIntervalMs);
        for (int i = 0; i < 5; i++)
        {
            generator.Next(ref value, i);
            intervals.Add(generator.NextIntervalMs);
        }

        Assert.Equal([1000, 2500, 500, null, 1000], intervals);
    }

    [Fact]
    public void Unix_second_and_millisecond_timestamps_are_recognised()
    {
        Assert.True(ReplayDataCache.TryParseTimestamp("1767225600", out long seconds));
        Assert.True(ReplayDataCache.TryParseTimestamp("1767225600500", out long millis));

        Assert.Equal(1_767_225_600_000, seconds);
        Assert.Equal(1_767_225_600_500, millis);
    }

    [Fact]
    public void Missing_column_is_an_error_listing_the_columns()
    {
        WriteCsv("readings.csv", "time,value\n1,2\n");

        var error = Assert.Single(Errors(Replay("readings.csv", "pressure"), _directory));

        Assert.Equal("$.telemetry[0].generator.dataFile", error.Path);
        Assert.Contains("no column 'pressure' (columns: time, value)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unparsable_number_is_an_error_naming_the_row()
    {
        WriteCsv("readings.csv", "value\n1\nabc\n3\n");

        var error = Assert.Single(Errors(Replay("readings.csv", "value"), _directory));

        Assert.Contains("row 3: 'abc' in column 'value' is not a number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Absolute_paths_work_without_a_model_directory()
    {
        string path = WriteCsv("abs.csv", "value\n4\n");

        var generator = Create(Replay(path, "value"));

        Assert.Equal([4, 4], Numbers(generator, TelemetryDataType.Number, 2));
    }

    [Fact]
    public void Devices_share_one_loaded_file_and_a_changed_file_is_reloaded()
    {
        string path = WriteCsv("shared.csv", "value\n1\n2\n");
        var cache = new ReplayDataCache(1000);

        Assert.True(cache.TryGet(path, "value", null, TelemetryDataType.Number, out var first, out _));
        Assert.True(cache.TryGet(path, "value", null, TelemetryDataType.Number, out var again, out _));
        File.WriteAllText(path, "value\n7\n");
        File.SetLastWriteTimeUtc(path, File.GetLastWriteTimeUtc(path).AddSeconds(5));
        Assert.True(cache.TryGet(path, "value", null, TelemetryDataType.Number, out var reloaded, out _));

        Assert.Same(first, again);
        Assert.NotSame(first, reloaded);
        Assert.Equal([7.0], reloaded.Numbers!);
    }

    [Fact]
    public void Index_offset_starts_each_device_at_its_own_row()
    {
        WriteCsv("readings.csv", "value\n10\n20\n30\n");
        var prepared = NewFactory().Prepare(Model(Replay("readings.csv", "value", config: """{"offset":"index"}""")), _directory);

        double[] device0 = Numbers(prepared.Create(0, Context("d0", index: 0)), TelemetryDataType.Number, 2);
        double[] device4 = Numbers(prepared.Create(0, Context("d4", index: 4)), TelemetryDataType.Number, 2);

        Assert.Equal([10, 20], device0);
        Assert.Equal([20, 30], device4);
    }

    [Fact]
    public void Replay_of_booleans_accepts_words_and_digits()
    {
        WriteCsv("flags.csv", "on\ntrue\n0\nFALSE\n1\n");
        var generator = Create(Replay("flags.csv", "on", type: TelemetryDataType.Boolean), directory: _directory);
        var value = new TelemetryValue { Type = TelemetryDataType.Boolean };
        var flags = new List<bool>();

        for (int i = 0; i < 4; i++)
        {
            generator.Next(ref value, i);
            flags.Add(value.Boolean);
        }

        Assert.Equal([true, false, false, true], flags);
    }
}
