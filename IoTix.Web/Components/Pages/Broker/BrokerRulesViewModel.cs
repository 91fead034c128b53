using IoTix.Web.Audit;
using System.Text.Json;
using System.Text.Json.Serialization;
using IoTix.Broker.Rules;
using IoTix.Web.Rules;
using IoTix.Web.Accounts;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>
/// The Rules page: the tenant's rules with live counters and an enabled switch, the edit form (filters one per line,
/// condition, actions as JSON) with the engine's validation mapped onto its fields, and the dry-run panel.
/// </summary>
public sealed class BrokerRulesViewModel(RuleService rules, ConsoleAudit? audit = null)
{
    /// <summary>Form fields that carry errors (keys of <see cref="Errors"/>).</summary>
    public const string IdField = "Id";
    public const string NameField = "Name";
    public const string FiltersField = "TopicFilters";
    public const string ConditionField = "Condition";
    public const string ActionsField = "Actions";
    public const string SampleField = "Sample";

    private static readonly JsonSerializerOptions ActionsJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
    };

    public IReadOnlyList<RuleView> Rules { get; private set; } = [];

    /// <summary>Set when the database could not be read or written.</summary>
    public string? Problem { get; private set; }

    /// <summary>A line for the user after a save, delete or switch.</summary>
    public string? Message { get; private set; }

    /// <summary>The form is open (new rule or editing <see cref="EditingId"/>).</summary>
    public bool IsEditing { get; private set; }

    /// <summary>Id of the rule being edited; null for a new rule.</summary>
    public string? EditingId { get; private set; }

    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public bool Enabled { get; set; } = true;

    /// <summary>Topic filters, one per line.</summary>
    public string TopicFilters { get; set; } = "";

    public string Condition { get; set; } = "";

    /// <summary>The actions as a JSON array (see docs/broker.md#actions).</summary>
    public string Actions { get; set; } = "";

    public string SampleTopic { get; set; } = "";

    public string SamplePayload { get; set; } = "";

    public RuleTestResult? TestResult { get; private set; }

    /// <summary>Errors in words by form field; a field's several problems are joined.</summary>
    public IReadOnlyDictionary<string, string> Errors { get; private set; } = new Dictionary<string, string>();

    public RuleEngineSnapshot Engine => rules.Snapshot();

    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        var listed = await rules.ListAsync(cancellationToken).ConfigureAwait(false);
        Problem = listed is null ? "The IoTix database is unavailable: rules cannot be listed right now." : null;
        Rules = listed ?? [];
    }

    /// <summary>Re-reads the counters from the engine (no database access); for the periodic refresh.</summary>
    public void RefreshCounters()
    {
        var updated = new List<RuleView>(Rules.Count);
        foreach (var rule in Rules)
        {
            updated.Add(rules.CountersOf(rule.Definition.Id) is { } counters ? rule with { Counters = counters } : rule);
        }

        Rules = updated;
    }

    public void New()
    {
        Fill(new RuleDefinition
        {
            Name = "",
            TopicFilters = ["sensors/+/temperature"],
            Condition = "payload.value > 30",
            Actions = [new RuleActionDefinition { Type = RuleActionTypes.Webhook, Url = "http://127.0.0.1:8080/hook" }],
        });
        EditingId = null;
        SampleTopic = "sensors/hall/temperature";
        SamplePayload = "{\"value\": 31.5}";
    }

    public void Edit(RuleView rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        Fill(rule.Definition);
        EditingId = rule.Definition.Id;
        if (SampleTopic.Length == 0 && rule.Definition.TopicFilters.Count > 0)
        {
            SampleTopic = rule.Definition.TopicFilters[0].Replace("+", "x", StringComparison.Ordinal).Replace("#", "x", StringComparison.Ordinal);
        }
    }

    public void Cancel()
    {
        IsEditing = false;
        Errors = new Dictionary<string, string>();
        TestResult = null;
    }

    /// <summary>Validates and stores the form; false (errors at the fields) when the rule is not valid or not stored.</summary>
    public async Task<bool> SaveAsync(CancellationToken cancellationToken = default)
    {
        var rule = BuildRule(out var errors);
        if (rule is null)
        {
            Errors = errors;
            return false;
        }

        if (await audit.PermissionRefusalAsync(Permissions.RulesWrite, EditingId is null ? "rule.create" : "rule.update", EditingId ?? rule.Id, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            Errors = new Dictionary<string, string> { [NameField] = refused };
            return false;
        }

        var outcome = EditingId is null
            ? await rules.CreateAsync(rule, cancellationToken).ConfigureAwait(false)
            : await rules.UpdateAsync(EditingId, rule, cancellationToken).ConfigureAwait(false);
        await audit.AuditAsync(EditingId is null ? "rule.create" : "rule.update", EditingId ?? rule.Id, outcome.Succeeded ? null : $"not saved: {outcome.Code}", EditingId is null ? null : ConsoleAuditExtensions.BeforeAfter(Rules.FirstOrDefault(r => r.Definition.Id == EditingId)?.Definition, rule), cancellationToken).ConfigureAwait(false);
        if (!outcome.Succeeded)
        {
            Errors = outcome.Code switch
            {
                RuleOutcomeCode.Invalid => MapErrors(outcome.Errors),
                RuleOutcomeCode.AlreadyExists => new Dictionary<string, string> { [IdField] = $"A rule with id '{rule.Id}' already exists." },
                RuleOutcomeCode.NotFound => new Dictionary<string, string> { [IdField] = "This rule was deleted meanwhile." },
                _ => new Dictionary<string, string> { [NameField] = "The IoTix database is unavailable: the rule was not saved." },
            };
            return false;
        }

        Message = $"Rule '{outcome.Value!.Definition.Name}' saved.";
        IsEditing = false;
        Errors = new Dictionary<string, string>();
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task SetEnabledAsync(RuleView rule, bool enabled, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (await audit.PermissionRefusalAsync(Permissions.RulesWrite, enabled ? "rule.enable" : "rule.disable", rule.Definition.Id, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            Message = refused;
            return;
        }

        var outcome = await rules.SetEnabledAsync(rule.Definition.Id, enabled, cancellationToken).ConfigureAwait(false);
        Message = outcome.Succeeded ? $"Rule '{rule.Definition.Name}' {(enabled ? "enabled" : "disabled")}." : "The rule could not be changed (deleted, or the database is unavailable).";
        await audit.AuditAsync(enabled ? "rule.enable" : "rule.disable", rule.Definition.Id, outcome.Succeeded ? null : Message, cancellationToken: cancellationToken).ConfigureAwait(false);
        await LoadAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteAsync(RuleView rule, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (await audit.PermissionRefusalAsync(Permissions.RulesWrite, "rule.delete", rule.Definition.Id, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            Message = refused;
            return;
        }

        var code = await rules.DeleteAsync(rule.Definition.Id, cancellationToken).ConfigureAwait(false);
        Message = code == RuleOutcomeCode.Ok ? $"Rule '{rule.Definition.Name}' deleted." : "The rule could not be deleted (the database is unavailable).";
        await audit.AuditAsync("rule.delete", rule.Definition.Id, code == RuleOutcomeCode.Ok ? null : Message, cancellationToken: cancellationToken).ConfigureAwait(false);
        await LoadAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Dry run of the form against the sample; problems go to the form's fields.</summary>
    public bool RunTest()
    {
        var rule = BuildRule(out var errors);
        if (string.IsNullOrEmpty(SampleTopic) || RuleTopics.CheckTopicName(SampleTopic) is not null)
        {
            errors[SampleField] = "Enter a sample topic name (no + or #).";
        }

        if (rule is null || errors.Count > 0)
        {
            Errors = errors;
            TestResult = null;
            return false;
        }

        var result = rules.Test(rule, new RuleTestMessage(SampleTopic, SamplePayload, "console-sample"));
        Errors = MapErrors(result.Errors);
        TestResult = result.IsValid ? result : null;
        return result.IsValid;
    }

    /// <summary>Which form field an engine error belongs to: <c>topicFilters[1]</c> to the filters (line 2), <c>actions[0].url</c> to the actions.</summary>
    public static Dictionary<string, string> MapErrors(IReadOnlyList<RuleFieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var map = new Dictionary<string, string>();
        foreach (var error in errors)
        {
            var (field, text) = error.Field switch
            {
                "id" => (IdField, error.Message),
                "name" or "description" => (NameField, error.Message),
                "condition" => (ConditionField, error.Message),
                var f when f.StartsWith("topicFilters[", StringComparison.Ordinal) => (FiltersField, $"line {LineOf(f)}: {error.Message}"),
                "topicFilters" => (FiltersField, error.Message),
                var f => (ActionsField, $"{f}: {error.Message}"),
            };
            map[field] = map.TryGetValue(field, out var previous) ? $"{previous}; {text}" : text;
        }

        return map;
    }

    private static int LineOf(string field)
    {
        var open = field.IndexOf('[', StringComparison.Ordinal);
        var close = field.IndexOf(']', StringComparison.Ordinal);
        return int.TryParse(field.AsSpan(open + 1, close - open - 1), out var index) ? index + 1 : 0;
    }

    private void Fill(RuleDefinition rule)
    {
        Id = rule.Id;
        Name = rule.Name;
        Description = rule.Description;
        Enabled = rule.Enabled;
        TopicFilters = string.Join('\n', rule.TopicFilters);
        Condition = rule.Condition ?? "";
        Actions = JsonSerializer.Serialize(rule.Actions, ActionsJson);
        Errors = new Dictionary<string, string>();
        TestResult = null;
        Message = null;
        IsEditing = true;
    }

    private RuleDefinition? BuildRule(out Dictionary<string, string> errors)
    {
        errors = [];
        List<RuleActionDefinition>? actions = null;
        try
        {
            actions = JsonSerializer.Deserialize<List<RuleActionDefinition>>(string.IsNullOrWhiteSpace(Actions) ? "[]" : Actions, ActionsJson);
        }
        catch (JsonException exception)
        {
            var where = exception.LineNumber is { } line ? $" (line {line + 1}, position {(exception.BytePositionInLine ?? 0) + 1})" : "";
            var text = exception.Message;
            var cut = text.IndexOf(" Path:", StringComparison.Ordinal);
            errors[ActionsField] = $"Not a JSON array of actions{where}: {(cut > 0 ? text[..cut] : text)}";
        }

        var filters = new List<string>();
        foreach (var line in TopicFilters.Split('\n'))
        {
            if (line.Trim() is { Length: > 0 } filter)
            {
                filters.Add(filter);
            }
        }

        if (errors.Count > 0)
        {
            return null;
        }

        return new RuleDefinition
        {
            Id = EditingId ?? Id.Trim(),
            Name = Name.Trim(),
            Description = string.IsNullOrWhiteSpace(Description) ? null : Description.Trim(),
            Enabled = Enabled,
            TopicFilters = filters,
            Condition = string.IsNullOrWhiteSpace(Condition) ? null : Condition,
            Actions = actions ?? [],
        };
    }
}
