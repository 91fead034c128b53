using IoTix.Broker.Rules;
using Prometheus;

namespace IoTix.Web.Rules;

/// <summary>The rules engine's counters on /metrics (host registry), read from the engine just before each scrape.</summary>
internal sealed class RulePrometheusMetrics
{
    private readonly IRuleEngine _engine;
    private readonly Counter _queued;
    private readonly Counter _dropped;
    private readonly Counter _evaluations;
    private readonly Gauge _queueLength;
    private readonly Gauge _rules;
    private readonly Counter _matched;
    private readonly Counter _passed;
    private readonly Counter _actions;

    public RulePrometheusMetrics(CollectorRegistry registry, IRuleEngine engine)
    {
        _engine = engine;
        var factory = Metrics.WithCustomRegistry(registry);
        _queued = factory.CreateCounter("iotix_rules_queued_total", "Messages queued for rule evaluation.");
        _dropped = factory.CreateCounter("iotix_rules_dropped_total", "Messages not evaluated because the rules queue was full (Broker:Rules:QueueCapacity).");
        _evaluations = factory.CreateCounter("iotix_rules_evaluations_total", "Rule evaluations (a message against a rule whose topic filter matched).");
        _queueLength = factory.CreateGauge("iotix_rules_queue_length", "Messages waiting for rule evaluation.");
        _rules = factory.CreateGauge("iotix_rules", "Rules loaded.", "state");
        _matched = factory.CreateCounter("iotix_rule_matched_total", "Messages whose topic matched the rule.", "rule");
        _passed = factory.CreateCounter("iotix_rule_passed_total", "Matched messages whose condition held.", "rule");
        _actions = factory.CreateCounter("iotix_rule_actions_total", "Action runs by outcome.", "rule", "outcome");
        registry.AddBeforeCollectCallback(Update);
    }

    internal void Update()
    {
        var snapshot = _engine.GetSnapshot();
        _queued.IncTo(snapshot.Queued);
        _dropped.IncTo(snapshot.Dropped);
        _evaluations.IncTo(snapshot.Evaluations);
        _queueLength.Set(snapshot.QueueLength);
        _rules.WithLabels("enabled").Set(snapshot.EnabledRules);
        _rules.WithLabels("disabled").Set(snapshot.Rules - snapshot.EnabledRules);
        foreach (var rule in _engine.GetRules())
        {
            var id = rule.Definition.Id;
            _matched.WithLabels(id).IncTo(rule.Counters.Matched);
            _passed.WithLabels(id).IncTo(rule.Counters.Passed);
            _actions.WithLabels(id, "succeeded").IncTo(rule.Counters.ActionsSucceeded);
            _actions.WithLabels(id, "failed").IncTo(rule.Counters.ActionsFailed);
            _actions.WithLabels(id, "dropped").IncTo(rule.Counters.ActionsDropped);
        }
    }
}
