using System.Text;

namespace IoTix.Broker.Rules;

/// <summary>A rule ready to run: its filters, condition and actions compiled once.</summary>
internal sealed class CompiledRule(RuleDefinition definition, string[] filters, RuleExpression? condition, RuleAction[] actions)
{
    public RuleDefinition Definition { get; } = definition;

    public string Id => Definition.Id;

    public bool Enabled => Definition.Enabled;

    public string[] Filters { get; } = filters;

    public RuleExpression? Condition { get; } = condition;

    public RuleAction[] Actions { get; } = actions;

    /// <summary>The rule's counters; kept across updates of the rule (set by the engine).</summary>
    public RuleCounters? Counters { get; set; }

    public bool Matches(string topic)
    {
        foreach (var filter in Filters)
        {
            if (Security.MqttTopicMatch.Matches(filter, topic))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Checks a <see cref="RuleDefinition"/> field by field and compiles it; every problem names its field.</summary>
internal static class RuleCompiler
{
    public const int MaxTopicFilters = 16;
    public const int MaxActions = 16;
    private const int DefaultTimeoutMs = 5000;
    private const int DefaultRetries = 3;
    private const int DefaultRetryDelayMs = 200;
    private const int DefaultBatchSize = 500;
    private const int DefaultFlushIntervalMs = 1000;

    public static CompiledRule? Compile(RuleDefinition rule, TimeProvider timeProvider, List<RuleFieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(rule);
        CheckIdentity(rule, errors);
        var filters = CheckFilters(rule.TopicFilters, rule.TopicNamespace, errors);
        RuleExpression? condition = null;
        if (!string.IsNullOrWhiteSpace(rule.Condition) && !RuleExpression.TryParse(rule.Condition, out condition, out var syntax))
        {
            errors.Add(new RuleFieldError("condition", $"syntax error {syntax}"));
        }

        var actions = new List<RuleAction>();
        if (rule.Actions is null || rule.Actions.Count == 0)
        {
            errors.Add(new RuleFieldError("actions", "at least one action is required"));
        }
        else if (rule.Actions.Count > MaxActions)
        {
            errors.Add(new RuleFieldError("actions", $"at most {MaxActions} actions (was {rule.Actions.Count})"));
        }
        else
        {
            for (var i = 0; i < rule.Actions.Count; i++)
            {
                if (CompileAction(rule, i, rule.Actions[i], timeProvider, errors) is { } action)
                {
                    actions.Add(action);
                }
            }
        }

        return errors.Count == 0 ? new CompiledRule(rule, filters, condition, [.. actions]) : null;
    }

    private static void CheckIdentity(RuleDefinition rule, List<RuleFieldError> errors)
    {
        // A namespaced rule may carry its namespace in front of its id (the engine's key of a tenant's rule).
        var id = rule.TopicNamespace is { Length: > 0 } ns && rule.Id.StartsWith(ns, StringComparison.Ordinal) ? rule.Id[ns.Length..] : rule.Id;
        if (string.IsNullOrEmpty(id) || id.Length > 100 || !IsIdText(id))
        {
            errors.Add(new RuleFieldError("id", "must be 1 to 100 characters: letters, digits, '-', '_', '.'"));
        }

        if (string.IsNullOrWhiteSpace(rule.Name) || rule.Name.Length > 200)
        {
            errors.Add(new RuleFieldError("name", "is required, at most 200 characters"));
        }

        if (rule.Description is { Length: > 2000 })
        {
            errors.Add(new RuleFieldError("description", "must be at most 2000 characters"));
        }
    }

    private static bool IsIdText(string id)
    {
        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    private static string[] CheckFilters(IReadOnlyList<string>? filters, string? topicNamespace, List<RuleFieldError> errors)
    {
        if (filters is null || filters.Count == 0)
        {
            errors.Add(new RuleFieldError("topicFilters", "at least one topic filter is required (e.g. sensors/+/temperature or #)"));
            return [];
        }

        if (filters.Count > MaxTopicFilters)
        {
            errors.Add(new RuleFieldError("topicFilters", $"at most {MaxTopicFilters} filters (was {filters.Count})"));
            return [];
        }

        for (var i = 0; i < filters.Count; i++)
        {
            if (RuleTopics.CheckTopicFilter(filters[i]) is { } problem)
            {
                errors.Add(new RuleFieldError($"topicFilters[{i}]", problem));
            }
            else if (topicNamespace is not null && !RuleTopics.IsInsideNamespace(topicNamespace, filters[i]))
            {
                errors.Add(new RuleFieldError($"topicFilters[{i}]", $"topic filter must start with {topicNamespace} (the tenant's namespace; was '{filters[i]}')"));
            }
        }

        return [.. filters];
    }

    private static RuleAction? CompileAction(RuleDefinition rule, int index, RuleActionDefinition? action, TimeProvider timeProvider, List<RuleFieldError> errors)
    {
        var ruleId = rule.Id;
        var prefix = $"actions[{index}].";
        if (action is null)
        {
            errors.Add(new RuleFieldError($"actions[{index}]", "must be an object"));
            return null;
        }

        var type = action.Type?.Trim().ToLowerInvariant() ?? "";
        var before = errors.Count;
        CheckApplicable(action, type, prefix, errors);
        RuleAction? compiled = type switch
        {
            RuleActionTypes.Webhook => CompileWebhook(ruleId, index, action, prefix, errors),
            RuleActionTypes.Republish => CompileRepublish(index, action, rule.TopicNamespace, prefix, errors),
            RuleActionTypes.Database => new DatabaseAction(index, ruleId, OptionalTemplate(action.Payload, prefix + "payload", errors), timeProvider),
            RuleActionTypes.InfluxDb => CompileInfluxDb(ruleId, index, action, prefix, errors),
            RuleActionTypes.Kafka => CompileKafka(ruleId, index, action, prefix, errors),
            _ => null,
        };
        if (compiled is null && errors.Count == before)
        {
            errors.Add(new RuleFieldError(prefix + "type", $"unknown action type '{action.Type}'; known: {string.Join(", ", RuleActionTypes.All)}"));
        }

        return errors.Count == before ? compiled : null;
    }

    /// <summary>Settings of another action type are mistakes, not silently ignored.</summary>
    private static void CheckApplicable(RuleActionDefinition action, string type, string prefix, List<RuleFieldError> errors)
    {
        if (!RuleActionTypes.All.Contains(type))
        {
            return;
        }

        var webhook = type == RuleActionTypes.Webhook;
        var republish = type == RuleActionTypes.Republish;
        var influx = type == RuleActionTypes.InfluxDb;
        var database = type == RuleActionTypes.Database;
        var kafka = type == RuleActionTypes.Kafka;
        Applies(action.Url is not null, webhook || influx, "url");
        Applies(action.Method is not null, webhook, "method");
        Applies(action.Headers is not null, webhook, "headers");
        Applies(action.Body is not null, webhook, "body");
        Applies(action.Topic is not null, republish || kafka, "topic");
        Applies(action.Payload is not null, republish || database || kafka, "payload");
        Applies(action.BootstrapServers is not null, kafka, "bootstrapServers");
        Applies(action.Key is not null, kafka, "key");
        Applies(action.Qos is not null, republish, "qos");
        Applies(action.Retain is not null, republish, "retain");
        Applies(action.Database is not null, influx, "database");
        Applies(action.RetentionPolicy is not null, influx, "retentionPolicy");
        Applies(action.Measurement is not null, influx, "measurement");
        Applies(action.Tags is not null, influx, "tags");
        Applies(action.Fields is not null, influx, "fields");
        Applies(action.BatchSize is not null, influx, "batchSize");
        Applies(action.FlushIntervalMs is not null, influx, "flushIntervalMs");
        Applies(action.TimeoutMs is not null, webhook || influx || kafka, "timeoutMs");
        Applies(action.Retries is not null, webhook || influx || kafka, "retries");
        Applies(action.RetryDelayMs is not null, webhook || influx || kafka, "retryDelayMs");

        void Applies(bool set, bool allowed, string field)
        {
            if (set && !allowed)
            {
                errors.Add(new RuleFieldError(prefix + field, $"does not apply to {type} actions"));
            }
        }
    }

    private static RuleAction? CompileWebhook(string ruleId, int index, RuleActionDefinition action, string prefix, List<RuleFieldError> errors)
    {
        RuleTemplate? url = null;
        if (string.IsNullOrWhiteSpace(action.Url))
        {
            errors.Add(new RuleFieldError(prefix + "url", "is required (http or https URL, may hold ${...} parts)"));
        }
        else if ((url = Template(action.Url, prefix + "url", errors)) is { IsConstant: true } && !IsHttpUrl(action.Url))
        {
            errors.Add(new RuleFieldError(prefix + "url", $"must be an absolute http or https URL (was '{action.Url}')"));
        }

        var method = (action.Method ?? "POST").ToUpperInvariant() switch
        {
            "POST" => HttpMethod.Post,
            "PUT" => HttpMethod.Put,
            _ => null,
        };
        if (method is null)
        {
            errors.Add(new RuleFieldError(prefix + "method", $"must be POST or PUT (was '{action.Method}')"));
        }

        var headers = new List<(string, RuleTemplate)>();
        if (action.Headers is not null)
        {
            foreach (var (name, value) in action.Headers)
            {
                if (string.IsNullOrWhiteSpace(name) || name.AsSpan().IndexOfAny(" :\r\n") >= 0)
                {
                    errors.Add(new RuleFieldError($"{prefix}headers.{name}", "is not a valid header name"));
                }
                else if (Template(value ?? "", $"{prefix}headers.{name}", errors) is { } template)
                {
                    headers.Add((name, template));
                }
            }
        }

        var body = OptionalTemplate(action.Body, prefix + "body", errors);
        var (timeout, retries, delay) = CheckRetryPolicy(action, prefix, errors);
        return url is null || method is null ? null : new WebhookAction(index, ruleId, url, method, headers, body, timeout, retries, delay);
    }

    private static RuleAction? CompileRepublish(int index, RuleActionDefinition action, string? topicNamespace, string prefix, List<RuleFieldError> errors)
    {
        RuleTemplate? topic = null;
        if (string.IsNullOrEmpty(action.Topic))
        {
            errors.Add(new RuleFieldError(prefix + "topic", "is required (a topic name, may hold ${...} parts)"));
        }
        else if ((topic = Template(action.Topic, prefix + "topic", errors)) is { IsConstant: true } && RuleTopics.CheckTopicName(action.Topic) is { } problem)
        {
            errors.Add(new RuleFieldError(prefix + "topic", problem));
        }
        else if (topicNamespace is not null && !RuleTopics.IsInsideNamespace(topicNamespace, action.Topic))
        {
            // A literal start: ${...} parts after it cannot leave the namespace.
            errors.Add(new RuleFieldError(prefix + "topic", $"republish topic must start with {topicNamespace} (the tenant's namespace; was '{action.Topic}')"));
        }

        if (action.Qos is < 0 or > 2)
        {
            errors.Add(new RuleFieldError(prefix + "qos", $"must be 0, 1 or 2 (was {action.Qos})"));
        }

        var payload = OptionalTemplate(action.Payload, prefix + "payload", errors);
        return topic is null ? null : new RepublishAction(index, topic, payload, action.Qos, action.Retain ?? false, topicNamespace);
    }

    private static RuleAction? CompileInfluxDb(string ruleId, int index, RuleActionDefinition action, string prefix, List<RuleFieldError> errors)
    {
        Uri? writeUrl = null;
        if (string.IsNullOrWhiteSpace(action.Url) || !IsHttpUrl(action.Url))
        {
            errors.Add(new RuleFieldError(prefix + "url", $"must be the http(s) base URL of InfluxDB 1.x, e.g. http://127.0.0.1:8086 (was '{action.Url}')"));
        }

        if (string.IsNullOrWhiteSpace(action.Database))
        {
            errors.Add(new RuleFieldError(prefix + "database", "is required"));
        }
        else if (!string.IsNullOrWhiteSpace(action.Url) && IsHttpUrl(action.Url))
        {
            var query = $"write?db={Uri.EscapeDataString(action.Database)}&precision=ms";
            if (!string.IsNullOrWhiteSpace(action.RetentionPolicy))
            {
                query += $"&rp={Uri.EscapeDataString(action.RetentionPolicy)}";
            }

            writeUrl = new Uri(new Uri(action.Url.TrimEnd('/') + "/"), query);
        }

        RuleTemplate? measurement = null;
        if (string.IsNullOrWhiteSpace(action.Measurement))
        {
            errors.Add(new RuleFieldError(prefix + "measurement", "is required (may hold ${...} parts, e.g. ${topic[0]})"));
        }
        else
        {
            measurement = Template(action.Measurement, prefix + "measurement", errors);
        }

        var tags = Expressions(action.Tags, prefix + "tags", errors);
        var fields = action.Fields is null ? null : Expressions(action.Fields, prefix + "fields", errors);
        if (action.Fields is { Count: 0 })
        {
            errors.Add(new RuleFieldError(prefix + "fields", "must name at least one field, or be left out to write every top-level payload field"));
        }

        if (action.BatchSize is < 1 or > 10_000)
        {
            errors.Add(new RuleFieldError(prefix + "batchSize", $"must be between 1 and 10000 (was {action.BatchSize})"));
        }

        if (action.FlushIntervalMs is < 1 or > 60_000)
        {
            errors.Add(new RuleFieldError(prefix + "flushIntervalMs", $"must be between 1 and 60000 (was {action.FlushIntervalMs})"));
        }

        var (timeout, retries, delay) = CheckRetryPolicy(action, prefix, errors);
        return writeUrl is null || measurement is null
            ? null
            : new InfluxDbAction(index, ruleId, writeUrl, measurement, tags, fields, action.BatchSize ?? DefaultBatchSize, action.FlushIntervalMs ?? DefaultFlushIntervalMs, timeout, retries, delay);
    }

    private static RuleAction? CompileKafka(string ruleId, int index, RuleActionDefinition action, string prefix, List<RuleFieldError> errors)
    {
        if (string.IsNullOrWhiteSpace(action.BootstrapServers))
        {
            errors.Add(new RuleFieldError(prefix + "bootstrapServers", "is required (host:port, comma separated)"));
        }

        RuleTemplate? topic = null;
        if (string.IsNullOrWhiteSpace(action.Topic))
        {
            errors.Add(new RuleFieldError(prefix + "topic", "is required (a Kafka topic, may hold ${...} parts)"));
        }
        else if ((topic = Template(action.Topic, prefix + "topic", errors)) is { IsConstant: true } && KafkaAction.CheckTopic(action.Topic) is { } problem)
        {
            errors.Add(new RuleFieldError(prefix + "topic", problem));
        }

        var key = OptionalTemplate(action.Key, prefix + "key", errors);
        var payload = OptionalTemplate(action.Payload, prefix + "payload", errors);
        var (timeout, retries, delay) = CheckRetryPolicy(action, prefix, errors);
        return topic is null || string.IsNullOrWhiteSpace(action.BootstrapServers)
            ? null
            : new KafkaAction(index, ruleId, action.BootstrapServers, topic, key, payload, timeout, retries, delay);
    }

    private static (int TimeoutMs, int Retries, int RetryDelayMs) CheckRetryPolicy(RuleActionDefinition action, string prefix, List<RuleFieldError> errors)
    {
        if (action.TimeoutMs is < 1 or > 300_000)
        {
            errors.Add(new RuleFieldError(prefix + "timeoutMs", $"must be between 1 and 300000 (was {action.TimeoutMs})"));
        }

        if (action.Retries is < 0 or > 10)
        {
            errors.Add(new RuleFieldError(prefix + "retries", $"must be between 0 and 10 (was {action.Retries})"));
        }

        if (action.RetryDelayMs is < 1 or > 60_000)
        {
            errors.Add(new RuleFieldError(prefix + "retryDelayMs", $"must be between 1 and 60000 (was {action.RetryDelayMs})"));
        }

        return (action.TimeoutMs ?? DefaultTimeoutMs, action.Retries ?? DefaultRetries, action.RetryDelayMs ?? DefaultRetryDelayMs);
    }

    private static List<(string, RuleNode)> Expressions(IReadOnlyDictionary<string, string>? map, string field, List<RuleFieldError> errors)
    {
        var result = new List<(string, RuleNode)>();
        if (map is null)
        {
            return result;
        }

        foreach (var (name, source) in map)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                errors.Add(new RuleFieldError(field, "names must not be empty"));
            }
            else if (string.IsNullOrWhiteSpace(source))
            {
                errors.Add(new RuleFieldError($"{field}.{name}", "needs an expression, e.g. payload.temperature"));
            }
            else if (!RuleExpression.TryParse(source, 0, source.Length, out var node, out var syntax))
            {
                errors.Add(new RuleFieldError($"{field}.{name}", $"syntax error {syntax}"));
            }
            else
            {
                result.Add((name, node!));
            }
        }

        return result;
    }

    private static RuleTemplate? OptionalTemplate(string? source, string field, List<RuleFieldError> errors) =>
        source is null ? null : Template(source, field, errors);

    private static RuleTemplate? Template(string source, string field, List<RuleFieldError> errors)
    {
        if (RuleTemplate.TryParse(source, out var template, out var syntax))
        {
            return template;
        }

        errors.Add(new RuleFieldError(field, $"template error {syntax}"));
        return null;
    }

    private static bool IsHttpUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
