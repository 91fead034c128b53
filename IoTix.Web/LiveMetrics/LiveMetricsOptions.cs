using Microsoft.Extensions.Options;

namespace IoTix.Web.LiveMetrics;

/// <summary>Live metrics of the console: sampling, history and inspector bounds (section <c>IoTix:Console:LiveMetrics</c>).</summary>
public sealed class LiveMetricsOptions
{
    public const string SectionName = "IoTix:Console:LiveMetrics";

    /// <summary>Milliseconds between two samples of the engine and broker counters (<c>IoTix:Console:LiveMetrics:SampleIntervalMs</c>).</summary>
    public int SampleIntervalMs { get; set; } = 1000;

    /// <summary>
    /// Points kept in the history ring (<c>IoTix:Console:LiveMetrics:HistoryPoints</c>); when full the oldest point is
    /// overwritten. 300 points at 1 s = the last five minutes.
    /// </summary>
    public int HistoryPoints { get; set; } = 300;

    /// <summary>
    /// Groups sampled one by one per point (<c>IoTix:Console:LiveMetrics:MaxGroupSeries</c>); further groups count in the
    /// totals only, and the point says how many were left out.
    /// </summary>
    public int MaxGroupSeries { get; set; } = 50;

    /// <summary>Least milliseconds between two renders of a live page (<c>IoTix:Console:LiveMetrics:RenderIntervalMs</c>).</summary>
    public int RenderIntervalMs { get; set; } = 1000;

    /// <summary>
    /// Payloads kept per inspected device (<c>IoTix:Console:LiveMetrics:InspectorPayloads</c>); when full the oldest is
    /// dropped. Only devices being inspected keep payloads.
    /// </summary>
    public int InspectorPayloads { get; set; } = 20;

    /// <summary>Longest payload text shown by the inspector, in characters (<c>IoTix:Console:LiveMetrics:InspectorPayloadChars</c>); longer ones are cut.</summary>
    public int InspectorPayloadChars { get; set; } = 2048;

    internal TimeSpan SampleInterval => TimeSpan.FromMilliseconds(SampleIntervalMs);

    internal TimeSpan RenderInterval => TimeSpan.FromMilliseconds(RenderIntervalMs);
}

internal sealed class LiveMetricsOptionsValidator : IValidateOptions<LiveMetricsOptions>
{
    public ValidateOptionsResult Validate(string? name, LiveMetricsOptions options)
    {
        var failures = new List<string>();
        Check(options.SampleIntervalMs, 100, 60_000, nameof(options.SampleIntervalMs));
        Check(options.HistoryPoints, 2, 100_000, nameof(options.HistoryPoints));
        Check(options.MaxGroupSeries, 0, 10_000, nameof(options.MaxGroupSeries));
        Check(options.RenderIntervalMs, 100, 60_000, nameof(options.RenderIntervalMs));
        Check(options.InspectorPayloads, 1, 10_000, nameof(options.InspectorPayloads));
        Check(options.InspectorPayloadChars, 16, 1_048_576, nameof(options.InspectorPayloadChars));
        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;

        void Check(int value, int min, int max, string key)
        {
            if (value < min || value > max)
            {
                failures.Add($"{LiveMetricsOptions.SectionName}:{key} must be between {min} and {max} (was {value})");
            }
        }
    }
}
