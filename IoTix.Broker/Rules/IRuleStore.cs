namespace IoTix.Broker.Rules;

/// <summary>Where the broker loads its rules from at start (the host's database). Editing is the host's business.</summary>
public interface IRuleStore
{
    /// <summary>Every stored rule (enabled or not); null when the store is unavailable (the engine retries).</summary>
    Task<IReadOnlyList<RuleDefinition>?> LoadAllAsync(CancellationToken cancellationToken = default);
}

/// <summary>What a <c>database</c> action writes: one row of the rule_events table.</summary>
public sealed record RuleEvent(string RuleId, string Topic, string? ClientId, int QualityOfService, DateTimeOffset Timestamp, string Payload);

/// <summary>Receives the events of <c>database</c> actions in batches, off the MQTT path.</summary>
public interface IRuleEventSink
{
    /// <summary>Stores the batch; false when the store is unavailable (the batch is skipped and counted as failed).</summary>
    Task<bool> WriteAsync(IReadOnlyList<RuleEvent> events, CancellationToken cancellationToken = default);
}
