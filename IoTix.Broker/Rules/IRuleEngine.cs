namespace IoTix.Broker.Rules;

/// <summary>
/// The rules engine of the hosted broker (FR-040..FR-043a): matches published messages against the rules off the
/// MQTT path and runs their actions. The host stores the rules and tells the engine about every change.
/// </summary>
public interface IRuleEngine
{
    /// <summary>Every problem of a definition by field; empty when it is valid.</summary>
    IReadOnlyList<RuleFieldError> Validate(RuleDefinition rule);

    /// <summary>Adds or replaces a rule (its counters are kept); false with the problems when it is not valid.</summary>
    bool TryApply(RuleDefinition rule, out IReadOnlyList<RuleFieldError> errors);

    /// <summary>Removes a rule and its counters; false when there was none.</summary>
    bool Remove(string ruleId);

    /// <summary>The rules the engine runs, with their counters, ordered by id.</summary>
    IReadOnlyList<RuleStatus> GetRules();

    /// <summary>Counters of one rule; null when the engine does not know it.</summary>
    RuleCountersSnapshot? GetCounters(string ruleId);

    RuleEngineSnapshot GetSnapshot();

    /// <summary>Dry run: evaluates <paramref name="rule"/> against a sample message and shows what each action would send, without sending it.</summary>
    RuleTestResult Test(RuleDefinition rule, RuleTestMessage message);
}

public sealed record RuleStatus(RuleDefinition Definition, RuleCountersSnapshot Counters);

/// <summary>
/// Counters of one rule since start: messages whose topic matched, of those the ones whose condition held, action
/// runs that succeeded, failed (after their retries, or circuit open) and were dropped (action queue full).
/// </summary>
public sealed record RuleCountersSnapshot(long Matched, long Passed, long ActionsSucceeded, long ActionsFailed, long ActionsDropped, string? LastError, DateTimeOffset? LastErrorAt);

/// <summary>
/// Engine totals: messages queued for evaluation, messages dropped because the queue was full (never slowing MQTT),
/// rule evaluations (a message against a rule whose filter matched), the queue's current length.
/// </summary>
public sealed record RuleEngineSnapshot(long Queued, long Dropped, long Evaluations, long QueueLength, int Rules, int EnabledRules, bool Loaded);

/// <summary>A sample message for <see cref="IRuleEngine.Test"/>.</summary>
public sealed record RuleTestMessage(string Topic, string Payload, string? ClientId = null, string? UserName = null, int Qos = 0, bool Retain = false);

/// <summary>
/// Outcome of a dry run: problems of the definition (then nothing else is filled), whether a filter matched, whether
/// the condition held (null without a condition or without a match), and each action's rendering.
/// </summary>
public sealed record RuleTestResult(IReadOnlyList<RuleFieldError> Errors, bool TopicMatched, bool? ConditionPassed, IReadOnlyList<RuleActionPreview> Actions)
{
    public bool IsValid => Errors.Count == 0;

    /// <summary>True when a real message like this one would run the actions.</summary>
    public bool WouldRun => IsValid && TopicMatched && ConditionPassed != false;
}

/// <summary>
/// What one action would do: its target (URL, topic, database), the body or payload it would send, headers (webhook),
/// or why it would fail (<see cref="Error"/>, e.g. a republish topic that renders empty).
/// </summary>
public sealed record RuleActionPreview(int Index, string Type, string Target, string? Body, IReadOnlyDictionary<string, string>? Headers, string? Error);
