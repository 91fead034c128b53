using Microsoft.Extensions.Options;

namespace IoTix.Broker.Rules;

/// <summary>Settings of the rules engine (configuration section <c>Broker:Rules</c>).</summary>
public sealed class RuleEngineOptions
{
    public const string SectionName = "Broker:Rules";

    /// <summary>Evaluate rules. <c>Broker:Rules:Enabled</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Bound of the queue between the publish path and the workers. Overflow behaviour <b>drop new</b>: a message that
    /// finds it full is not evaluated (counted in <c>iotix_rules_dropped_total</c>, warned once per episode); MQTT never waits.
    /// <c>Broker:Rules:QueueCapacity</c>.
    /// </summary>
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>Workers evaluating rules in parallel. <c>Broker:Rules:Workers</c>.</summary>
    public int Workers { get; set; } = 2;

    /// <summary>
    /// Bound of each action's own queue (webhook requests, InfluxDB lines, database events). Overflow behaviour <b>drop
    /// new</b>, counted per rule as dropped. <c>Broker:Rules:ActionQueueCapacity</c>.
    /// </summary>
    public int ActionQueueCapacity { get; set; } = 10_000;

    /// <summary>Requests of one webhook action in flight at once. <c>Broker:Rules:WebhookConcurrency</c>.</summary>
    public int WebhookConcurrency { get; set; } = 4;

    /// <summary>Events written per database call. <c>Broker:Rules:DatabaseBatchSize</c>.</summary>
    public int DatabaseBatchSize { get; set; } = 500;

    /// <summary>
    /// How many times a message republished by a rule may trigger rules again (0: republished messages never trigger
    /// rules). Bounds loops such as a rule republishing onto its own filter. <c>Broker:Rules:MaxChainDepth</c>.
    /// </summary>
    public int MaxChainDepth { get; set; } = 3;

    /// <summary>Seconds a target's circuit stays open after it failed repeatedly. <c>Broker:Rules:CircuitBreakSeconds</c>.</summary>
    public int CircuitBreakSeconds { get; set; } = 15;

    /// <summary>Failed calls (at least, and at least half of the calls) within 30 s that open a target's circuit. <c>Broker:Rules:CircuitMinimumCalls</c>.</summary>
    public int CircuitMinimumCalls { get; set; } = 5;

    /// <summary>Hours the events of database actions are kept (table rule_events) before they are purged. <c>Broker:Rules:EventRetentionHours</c>.</summary>
    public int EventRetentionHours { get; set; } = 168;

    /// <summary>Seconds between attempts to load the rules while the store is unavailable at start. <c>Broker:Rules:LoadRetrySeconds</c>.</summary>
    public int LoadRetrySeconds { get; set; } = 10;
}

internal sealed class RuleEngineOptionsValidator : IValidateOptions<RuleEngineOptions>
{
    public ValidateOptionsResult Validate(string? name, RuleEngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        Check(failures, options.QueueCapacity, 1, 10_000_000, "QueueCapacity");
        Check(failures, options.Workers, 1, 64, "Workers");
        Check(failures, options.ActionQueueCapacity, 1, 1_000_000, "ActionQueueCapacity");
        Check(failures, options.WebhookConcurrency, 1, 256, "WebhookConcurrency");
        Check(failures, options.DatabaseBatchSize, 1, 10_000, "DatabaseBatchSize");
        Check(failures, options.MaxChainDepth, 0, 16, "MaxChainDepth");
        Check(failures, options.CircuitBreakSeconds, 1, 3600, "CircuitBreakSeconds");
        Check(failures, options.CircuitMinimumCalls, 2, 10_000, "CircuitMinimumCalls");
        Check(failures, options.LoadRetrySeconds, 1, 3600, "LoadRetrySeconds");
        Check(failures, options.EventRetentionHours, 1, 24 * 365, "EventRetentionHours");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(List<string> failures, int value, int min, int max, string key)
    {
        if (value < min || value > max)
        {
            failures.Add($"{RuleEngineOptions.SectionName}:{key} must be between {min} and {max} (was {value}).");
        }
    }
}
