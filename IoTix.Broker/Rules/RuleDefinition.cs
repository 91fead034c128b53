namespace IoTix.Broker.Rules;

/// <summary>
/// A rule as data (FR-040): messages whose topic matches one of <see cref="TopicFilters"/> and for which
/// <see cref="Condition"/> holds run every action of <see cref="Actions"/>. Compiled once when stored or loaded; see
/// docs/broker.md#rules for the condition language and the templates.
/// </summary>
public sealed class RuleDefinition
{
    /// <summary>Unique id: 1 to 100 characters, letters, digits, '-', '_' and '.'.</summary>
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public bool Enabled { get; set; } = true;

    /// <summary>MQTT topic filters ('+' and '#' wildcards); a message matching any of them is evaluated.</summary>
    public IReadOnlyList<string> TopicFilters { get; set; } = [];

    /// <summary>Optional condition over payload fields and topic levels, e.g. <c>payload.temp &gt; 30 and topic[1] == 'hall'</c>.</summary>
    public string? Condition { get; set; }

    public IReadOnlyList<RuleActionDefinition> Actions { get; set; } = [];

    /// <summary>
    /// The topic namespace the rule is confined to, set by the host for a tenant's rule (<c>tenants/{tenant}/</c>,
    /// <see cref="Security.TenantTopics"/>); null: unconfined. Every topic filter and every republish topic must start
    /// with it literally: the engine refuses (and at load: does not run) a rule that reaches outside, and never
    /// republishes outside it.
    /// </summary>
    public string? TopicNamespace { get; set; }
}

/// <summary>
/// One action of a rule. <see cref="Type"/> selects which of the other settings apply (see <see cref="RuleActionTypes"/>);
/// settings of other types must be left unset. Text settings marked "template" take <c>${expression}</c> parts.
/// </summary>
public sealed class RuleActionDefinition
{
    /// <summary><c>webhook</c>, <c>republish</c>, <c>database</c>, <c>influxdb</c> or <c>kafka</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary>webhook (template): target URL, http or https. influxdb: base URL of the InfluxDB 1.x HTTP API.</summary>
    public string? Url { get; set; }

    /// <summary>webhook: POST (default) or PUT.</summary>
    public string? Method { get; set; }

    /// <summary>webhook: request headers, values are templates.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; set; }

    /// <summary>webhook (template): request body; unset sends the JSON envelope (rule, topic, clientId, qos, retain, timestamp, payload).</summary>
    public string? Body { get; set; }

    /// <summary>republish (template): target MQTT topic. kafka (template): target Kafka topic.</summary>
    public string? Topic { get; set; }

    /// <summary>republish, database and kafka (template): payload written; unset keeps the message's payload.</summary>
    public string? Payload { get; set; }

    /// <summary>kafka: bootstrap servers (host:port, comma separated).</summary>
    public string? BootstrapServers { get; set; }

    /// <summary>kafka (template): record key; unset sends records without a key.</summary>
    public string? Key { get; set; }

    /// <summary>republish: QoS 0..2 of the new message; unset keeps the message's QoS.</summary>
    public int? Qos { get; set; }

    /// <summary>republish: retain flag of the new message (default false).</summary>
    public bool? Retain { get; set; }

    /// <summary>influxdb: database name.</summary>
    public string? Database { get; set; }

    /// <summary>influxdb: retention policy (optional).</summary>
    public string? RetentionPolicy { get; set; }

    /// <summary>influxdb (template): measurement name.</summary>
    public string? Measurement { get; set; }

    /// <summary>influxdb: tag name to expression (rendered as text).</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; set; }

    /// <summary>influxdb: field name to expression; unset writes every top-level number, boolean and string of the payload.</summary>
    public IReadOnlyDictionary<string, string>? Fields { get; set; }

    /// <summary>influxdb: lines per write (default 500).</summary>
    public int? BatchSize { get; set; }

    /// <summary>influxdb: longest wait before a partial batch is written, ms (default 1000).</summary>
    public int? FlushIntervalMs { get; set; }

    /// <summary>webhook and influxdb: timeout of one attempt, ms (default 5000). kafka: delivery timeout of a record, ms.</summary>
    public int? TimeoutMs { get; set; }

    /// <summary>webhook, influxdb and kafka: retries after a failed attempt (default 3, at most 10).</summary>
    public int? Retries { get; set; }

    /// <summary>webhook, influxdb and kafka: first retry delay, ms (default 200); webhook and InfluxDB double it per retry, with jitter.</summary>
    public int? RetryDelayMs { get; set; }
}

/// <summary>The action types a rule may use.</summary>
public static class RuleActionTypes
{
    public const string Webhook = "webhook";
    public const string Republish = "republish";
    public const string Database = "database";
    public const string InfluxDb = "influxdb";
    public const string Kafka = "kafka";

    public static IReadOnlyList<string> All { get; } = [Webhook, Republish, Database, InfluxDb, Kafka];
}

/// <summary>A problem of a rule definition: the field (<c>condition</c>, <c>topicFilters[0]</c>, <c>actions[1].url</c>) and what is wrong.</summary>
public sealed record RuleFieldError(string Field, string Message);
