using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using IoTix.Core.Models;

namespace IoTix.Core.Generators;

/// <summary>One column of a replay file, parsed once and shared (read-only) by every device that replays it.</summary>
internal sealed class ReplaySeries
{
    public required int Count { get; init; }

    /// <summary>Values of number and integer items.</summary>
    public double[]? Numbers { get; init; }

    /// <summary>Values of boolean items.</summary>
    public bool[]? Booleans { get; init; }

    /// <summary>Values of string items (interned per file: repeated texts share one string).</summary>
    public string[]? Texts { get; init; }

    /// <summary>Row times in Unix milliseconds when a timestamp column is set.</summary>
    public long[]? TimesMs { get; init; }
}

/// <summary>
/// Loads replay columns once per file version: keyed by full path, column, timestamp column and
/// value kind, and reloaded when the file's last write time changes (the old version is dropped).
/// </summary>
internal sealed class ReplayDataCache(int maxRows)
{
    private readonly ConcurrentDictionary<(string Path, string Column, string? TimeColumn, TelemetryDataType Type), Entry> _entries = new();

    private sealed record Entry(DateTime LastWriteUtc, ReplaySeries? Series, string? Error);

    public static string ResolvePath(string dataFile, string? modelDirectory) =>
        Path.GetFullPath(Path.IsPathRooted(dataFile) || modelDirectory is null ? dataFile : Path.Combine(modelDirectory, dataFile));

    public bool TryGet(string fullPath, string column, string? timeColumn, TelemetryDataType type, [NotNullWhen(true)] out ReplaySeries? series, [NotNullWhen(false)] out string? error)
    {
        series = null;
        if (!File.Exists(fullPath))
        {
            error = $"data file '{fullPath}' does not exist";
            return false;
        }

        var key = (fullPath, column, timeColumn, type);
        var lastWrite = File.GetLastWriteTimeUtc(fullPath);
        if (!_entries.TryGetValue(key, out var entry) || entry.LastWriteUtc != lastWrite)
        {
            entry = Load(fullPath, column, timeColumn, type, lastWrite);
            _entries[key] = entry;
        }

        series = entry.Series;
        error = entry.Error;
        return series is not null;
    }

    private Entry Load(string path, string column, string? timeColumn, TelemetryDataType type, DateTime lastWrite)
    {
        try
        {
            using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
            using var csv = new CsvRecordReader(reader);
            return Parse(csv, path, column, timeColumn, type, lastWrite);
        }
        catch (IOException ex)
        {
            return new Entry(lastWrite, null, $"data file '{path}' could not be read: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            return new Entry(lastWrite, null, $"data file '{path}' could not be read: {ex.Message}");
        }
    }

    private Entry Parse(CsvRecordReader csv, string path, string column, string? timeColumn, TelemetryDataType type, DateTime lastWrite)
    {
        var fields = new List<string>();
        if (!csv.TryRead(fields, out string? error) || error is not null)
        {
            return new Entry(lastWrite, null, error is null ? $"data file '{path}' is empty (it needs a header row)" : $"data file '{path}' row 1: {error}");
        }

        int valueIndex = IndexOf(fields, column);
        if (valueIndex < 0)
        {
            return new Entry(lastWrite, null, $"data file '{path}' has no column '{column}' (columns: {string.Join(", ", fields)})");
        }

        int timeIndex = -1;
        if (timeColumn is not null)
        {
            timeIndex = IndexOf(fields, timeColumn);
            if (timeIndex < 0)
            {
                return new Entry(lastWrite, null, $"data file '{path}' has no timestamp column '{timeColumn}' (columns: {string.Join(", ", fields)})");
            }
        }

        var numbers = new List<double>();
        var booleans = new List<bool>();
        var texts = new List<string>();
        var times = new List<long>();
        var interned = new Dictionary<string, string>(StringComparer.Ordinal);
        while (csv.TryRead(fields, out error))
        {
            int row = csv.RecordNumber;
            if (error is not null)
            {
                return new Entry(lastWrite, null, $"data file '{path}' row {row}: {error}");
            }

            if (row - 1 > maxRows)
            {
                return new Entry(lastWrite, null, $"data file '{path}' has more than {maxRows} rows (IoTix:Generators:ReplayMaxRows)");
            }

            if (valueIndex >= fields.Count || (timeIndex >= 0 && timeIndex >= fields.Count))
            {
                return new Entry(lastWrite, null, $"data file '{path}' row {row}: has {fields.Count} fields, too few for column '{(valueIndex >= fields.Count ? column : timeColumn)}'");
            }

            string cell = fields[valueIndex].Trim();
            switch (type)
            {
                case TelemetryDataType.Number:
                case TelemetryDataType.Integer:
                    if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || !double.IsFinite(d))
                    {
                        return new Entry(lastWrite, null, $"data file '{path}' row {row}: '{cell}' in column '{column}' is not a number");
                    }

                    numbers.Add(type == TelemetryDataType.Integer ? GeneratorMath.RoundInteger(d) : d);
                    break;
                case TelemetryDataType.Boolean:
                    if (!TryParseBoolean(cell, out bool b))
                    {
                        return new Entry(lastWrite, null, $"data file '{path}' row {row}: '{cell}' in column '{column}' is not a boolean (true/false/1/0)");
                    }

                    booleans.Add(b);
                    break;
                default:
                    if (!interned.TryGetValue(fields[valueIndex], out string? text))
                    {
                        text = fields[valueIndex];
                        interned.Add(text, text);
                    }

                    texts.Add(text);
                    break;
            }

            if (timeIndex >= 0)
            {
                string stamp = fields[timeIndex].Trim();
                if (!TryParseTimestamp(stamp, out long ms))
                {
                    return new Entry(lastWrite, null, $"data file '{path}' row {row}: '{stamp}' in column '{timeColumn}' is not a timestamp (ISO 8601, or Unix seconds/milliseconds)");
                }

                if (times.Count > 0 && ms < times[^1])
                {
                    return new Entry(lastWrite, null, $"data file '{path}' row {row}: timestamp '{stamp}' is earlier than the row before");
                }

                times.Add(ms);
            }
        }

        int count = type switch
        {
            TelemetryDataType.Number or TelemetryDataType.Integer => numbers.Count,
            TelemetryDataType.Boolean => booleans.Count,
            _ => texts.Count,
        };
        if (count == 0)
        {
            return new Entry(lastWrite, null, $"data file '{path}' has a header but no data rows");
        }

        var series = new ReplaySeries
        {
            Count = count,
            Numbers = numbers.Count > 0 ? [.. numbers] : null,
            Booleans = booleans.Count > 0 ? [.. booleans] : null,
            Texts = texts.Count > 0 ? [.. texts] : null,
            TimesMs = times.Count > 0 ? [.. times] : null,
        };
        return new Entry(lastWrite, series, null);
    }

    private static int IndexOf(List<string> header, string name)
    {
        for (int i = 0; i < header.Count; i++)
        {
            if (string.Equals(header[i].Trim(), name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool TryParseBoolean(string cell, out bool value)
    {
        if (bool.TryParse(cell, out value))
        {
            return true;
        }

        if (cell is "1" or "0")
        {
            value = cell == "1";
            return true;
        }

        return false;
    }

    /// <summary>ISO 8601 text, or a Unix time number: seconds below 10^11, milliseconds from there on.</summary>
    internal static bool TryParseTimestamp(string text, out long unixMs)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) && double.IsFinite(n))
        {
            unixMs = Math.Abs(n) < 1e11 ? (long)Math.Round(n * 1000) : (long)Math.Round(n);
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            unixMs = time.ToUnixTimeMilliseconds();
            return true;
        }

        unixMs = 0;
        return false;
    }
}
