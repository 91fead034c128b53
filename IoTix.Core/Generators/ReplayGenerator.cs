using System.Text.Json;
using IoTix.Core.Models;

namespace IoTix.Core.Generators;

/// <summary>Where each device starts in the replay file (<c>config.offset</c>).</summary>
internal enum ReplayOffset
{
    /// <summary>Row 0 for every device (default).</summary>
    First,

    /// <summary>A row drawn from the device's random source.</summary>
    Random,

    /// <summary>Row = device index modulo the row count, spreading devices evenly.</summary>
    Index,
}

internal sealed class ReplaySettings
{
    public required ReplaySeries Series { get; init; }

    public bool Loop { get; init; }

    public ReplayOffset Offset { get; init; }
}

internal sealed class ReplayPreparation(ReplaySettings settings) : ItemPreparation
{
    public override TelemetryGenerator Create(in GeneratorContext context)
    {
        int count = settings.Series.Count;
        int start = settings.Offset switch
        {
            ReplayOffset.Random => DeviceRandom.For(context.RunSeed, context.DeviceId, context.Stream).NextInt(count),
            ReplayOffset.Index => (int)((uint)context.Index % (uint)count),
            _ => 0,
        };
        return new ReplayGenerator(settings, start);
    }

    public static ReplayPreparation? TryCreate(TelemetryDefinition telemetry, string? modelDirectory, ReplayDataCache cache, List<GeneratorIssue> issues)
    {
        var g = telemetry.Generator;
        if (telemetry.Type == TelemetryDataType.Binary)
        {
            issues.Add(new("generator.type", "replay does not apply to binary items"));
            return null;
        }

        if (string.IsNullOrWhiteSpace(g.DataFile))
        {
            issues.Add(new("generator.dataFile", "replay needs a dataFile", Generic: true));
            return null;
        }

        if (string.IsNullOrWhiteSpace(g.Column))
        {
            issues.Add(new("generator.column", "replay needs the column to read", Generic: true));
            return null;
        }

        var offset = ReplayOffset.First;
        if (g.Config is { ValueKind: JsonValueKind.Object } config)
        {
            foreach (var property in config.EnumerateObject())
            {
                if (!property.NameEquals("offset"))
                {
                    issues.Add(new($"generator.config.{property.Name}", "unknown replay setting; the only one is offset (first, random, index)"));
                    return null;
                }

                string? text = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
                if (!Enum.TryParse(text, ignoreCase: true, out offset) || !Enum.IsDefined(offset) || int.TryParse(text, out _))
                {
                    issues.Add(new("generator.config.offset", "offset must be first, random or index"));
                    return null;
                }
            }
        }

        string path = ReplayDataCache.ResolvePath(g.DataFile, modelDirectory);
        if (!File.Exists(path))
        {
            issues.Add(new("generator.dataFile", $"data file '{path}' does not exist", Generic: true));
            return null;
        }

        if (!cache.TryGet(path, g.Column, g.TimestampColumn, telemetry.Type, out var series, out string? error))
        {
            issues.Add(new("generator.dataFile", error));
            return null;
        }

        return new ReplayPreparation(new ReplaySettings { Series = series, Loop = g.Loop ?? true, Offset = offset });
    }
}

/// <summary>
/// Replays one column row by row; each device has only its cursor. With <c>loop</c> it starts over
/// after the last row, otherwise the last value holds. With a timestamp column,
/// <see cref="NextIntervalMs"/> gives the recorded gap to the next row.
/// </summary>
internal sealed class ReplayGenerator(ReplaySettings settings, int start) : TelemetryGenerator
{
    /// <summary>Row of the next value; equals Count after the last row when not looping.</summary>
    private int _row = start;

    public override void Next(ref TelemetryValue value, long nowMs)
    {
        var series = settings.Series;
        int row = _row;
        if (row >= series.Count)
        {
            row = settings.Loop ? 0 : series.Count - 1;
        }

        if (series.Numbers is { } numbers)
        {
            value.Number = numbers[row];
        }
        else if (series.Booleans is { } booleans)
        {
            value.Boolean = booleans[row];
        }
        else
        {
            value.Text = series.Texts![row];
        }

        value.HasValue = true;
        _row = row + 1;
    }

    /// <summary>
    /// The recorded gap between the row just produced and the next one. Null (use <c>intervalMs</c>)
    /// without a timestamp column, before the first value, at the wrap from the last row to the
    /// first, and once a non-looping replay has ended.
    /// </summary>
    public override int? NextIntervalMs
    {
        get
        {
            var times = settings.Series.TimesMs;
            int next = _row;
            if (times is null || next <= 0 || next >= times.Length)
            {
                return null;
            }

            long gap = times[next] - times[next - 1];
            return gap > int.MaxValue ? int.MaxValue : (int)gap;
        }
    }
}
