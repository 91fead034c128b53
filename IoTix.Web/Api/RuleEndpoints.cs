using System.Globalization;
using System.Text.Json;
using IoTix.Broker.Rules;
using IoTix.Web.Rules;

namespace IoTix.Web.Api;

/// <summary><c>/api/v1/rules</c>: rules CRUD, enable/disable, dry run against a sample message, events of database actions, engine totals.</summary>
internal static class RuleEndpoints
{
    public static void MapRules(this RouteGroupBuilder api)
    {
        var rules = api.MapGroup("/rules").WithTags("Rules");
        rules.MapGet("/", List)
            .WithSummary("List rules with their counters")
            .Produces<IReadOnlyList<RuleResponse>>()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        rules.MapPost("/", Create)
            .WithSummary("Create a rule (validated: every bad field is named)")
            .Accepts<RuleRequest>("application/json")
            .Produces<RuleResponse>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        rules.MapGet("/engine", Engine)
            .WithSummary("Rules engine totals: queued, dropped, evaluations, queue length")
            .Produces<RuleEngineSnapshot>();
        rules.MapPost("/test", Test)
            .WithSummary("Dry run: evaluate a rule definition against a sample message and show what its actions would send")
            .Accepts<RuleTestRequest>("application/json")
            .Produces<RuleTestResponse>()
            .ProducesValidationProblem();
        rules.MapGet("/{ruleId}", Get)
            .WithSummary("Get a rule with its counters")
            .Produces<RuleResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        rules.MapPut("/{ruleId}", Update)
            .WithSummary("Replace a rule (counters are kept)")
            .Accepts<RuleRequest>("application/json")
            .Produces<RuleResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        rules.MapDelete("/{ruleId}", Delete)
            .WithSummary("Delete a rule and its events")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
        rules.MapPost("/{ruleId}/enable", static (string ruleId, RuleService service, CancellationToken ct) => SetEnabled(ruleId, true, service, ct))
            .WithSummary("Enable a rule")
            .Produces<RuleResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        rules.MapPost("/{ruleId}/disable", static (string ruleId, RuleService service, CancellationToken ct) => SetEnabled(ruleId, false, service, ct))
            .WithSummary("Disable a rule")
            .Produces<RuleResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        rules.MapPost("/{ruleId}/test", TestStored)
            .WithSummary("Dry run of a stored rule against a sample message")
            .Accepts<RuleTestMessageRequest>("application/json")
            .Produces<RuleTestResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        rules.MapGet("/{ruleId}/events", Events)
            .WithSummary("Messages written by the rule's database actions, newest first (query: limit, before)")
            .Produces<IReadOnlyList<RuleEventResponse>>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> List(RuleService service, CancellationToken cancellationToken)
    {
        var rules = await service.ListAsync(cancellationToken).ConfigureAwait(false);
        if (rules is null)
        {
            return Unavailable();
        }

        var result = new List<RuleResponse>(rules.Count);
        foreach (var rule in rules)
        {
            result.Add(RuleResponse.From(rule));
        }

        return Results.Ok(result);
    }

    private static async Task<IResult> Get(string ruleId, RuleService service, CancellationToken cancellationToken) =>
        ToResult(await service.GetAsync(ruleId, cancellationToken).ConfigureAwait(false), ruleId, created: false);

    private static async Task<IResult> Create(HttpRequest request, RuleService service, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<RuleRequest>(request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var outcome = await service.CreateAsync(body!.ToDefinition(), cancellationToken).ConfigureAwait(false);
        return ToResult(outcome, body.Id ?? "", created: true);
    }

    private static async Task<IResult> Update(string ruleId, HttpRequest request, RuleService service, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<RuleRequest>(request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Id is { } id && !string.Equals(id, ruleId, StringComparison.Ordinal))
        {
            return Invalid([new RuleFieldError("id", $"must match the id in the path ('{ruleId}') or be left out")]);
        }

        return ToResult(await service.UpdateAsync(ruleId, body.ToDefinition(), cancellationToken).ConfigureAwait(false), ruleId, created: false);
    }

    private static async Task<IResult> Delete(string ruleId, RuleService service, CancellationToken cancellationToken) =>
        await service.DeleteAsync(ruleId, cancellationToken).ConfigureAwait(false) switch
        {
            RuleOutcomeCode.Ok => Results.NoContent(),
            RuleOutcomeCode.NotFound => ApiProblems.NotFound($"rule '{ruleId}'"),
            _ => Unavailable(),
        };

    private static async Task<IResult> SetEnabled(string ruleId, bool enabled, RuleService service, CancellationToken cancellationToken) =>
        ToResult(await service.SetEnabledAsync(ruleId, enabled, cancellationToken).ConfigureAwait(false), ruleId, created: false);

    private static IResult Engine(RuleService service) => Results.Ok(service.Snapshot());

    private static async Task<IResult> Test(HttpRequest request, RuleService service, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<RuleTestRequest>(request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Rule is null)
        {
            return Invalid([new RuleFieldError("rule", "is required: the rule definition to test")]);
        }

        var message = body.ToMessage(out var messageError);
        if (message is null)
        {
            return Invalid([messageError!]);
        }

        var result = service.Test(body.Rule.ToDefinition(), message);
        return result.IsValid ? Results.Ok(RuleTestResponse.From(result)) : Invalid(Prefixed(result.Errors, "rule."));
    }

    private static async Task<IResult> TestStored(string ruleId, HttpRequest request, RuleService service, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<RuleTestMessageRequest>(request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var stored = await service.GetAsync(ruleId, cancellationToken).ConfigureAwait(false);
        if (!stored.Succeeded)
        {
            return ToResult(stored, ruleId, created: false);
        }

        var message = body!.ToMessage(out var messageError);
        return message is null ? Invalid([messageError!]) : Results.Ok(RuleTestResponse.From(service.Test(stored.Value!.Definition, message)));
    }

    private static async Task<IResult> Events(string ruleId, HttpRequest request, RuleService service, CancellationToken cancellationToken)
    {
        var errors = new List<RuleFieldError>();
        var limit = 100;
        if (request.Query.TryGetValue("limit", out var limitText) && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > RuleService.MaxEventsPerPage))
        {
            errors.Add(new RuleFieldError("limit", $"must be a whole number from 1 to {RuleService.MaxEventsPerPage} (was '{limitText}')"));
        }

        DateTimeOffset? before = null;
        if (request.Query.TryGetValue("before", out var beforeText))
        {
            if (DateTimeOffset.TryParse(beforeText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                before = parsed;
            }
            else
            {
                errors.Add(new RuleFieldError("before", $"must be an ISO 8601 time (was '{beforeText}')"));
            }
        }

        if (errors.Count > 0)
        {
            return Invalid(errors);
        }

        var outcome = await service.ListEventsAsync(ruleId, limit, before, cancellationToken).ConfigureAwait(false);
        if (!outcome.Succeeded)
        {
            return outcome.Code == RuleOutcomeCode.NotFound ? ApiProblems.NotFound($"rule '{ruleId}'") : Unavailable();
        }

        var result = new List<RuleEventResponse>(outcome.Value!.Count);
        foreach (var e in outcome.Value)
        {
            result.Add(new RuleEventResponse(e.Id, e.RuleId, e.Topic, e.ClientId, e.Qos, e.Timestamp, e.Payload));
        }

        return Results.Ok(result);
    }

    private static IResult ToResult(RuleOutcome<RuleView> outcome, string ruleId, bool created) => outcome.Code switch
    {
        RuleOutcomeCode.Ok when created => Results.Created($"{ApiEndpoints.Prefix}/rules/{Uri.EscapeDataString(outcome.Value!.Definition.Id)}", RuleResponse.From(outcome.Value)),
        RuleOutcomeCode.Ok => Results.Ok(RuleResponse.From(outcome.Value!)),
        RuleOutcomeCode.Invalid => Invalid(outcome.Errors),
        RuleOutcomeCode.NotFound => ApiProblems.NotFound($"rule '{ruleId}'"),
        RuleOutcomeCode.AlreadyExists => Results.Problem($"a rule with id '{ruleId}' already exists", statusCode: StatusCodes.Status409Conflict, title: "Conflict"),
        _ => Unavailable(),
    };

    private static IResult Invalid(IEnumerable<RuleFieldError> errors)
    {
        var fields = new FieldErrors();
        foreach (var error in errors)
        {
            fields.Add(error.Field, error.Message);
        }

        return ApiProblems.Invalid(fields);
    }

    private static List<RuleFieldError> Prefixed(IReadOnlyList<RuleFieldError> errors, string prefix)
    {
        var result = new List<RuleFieldError>(errors.Count);
        foreach (var error in errors)
        {
            result.Add(error with { Field = prefix + error.Field });
        }

        return result;
    }

    private static IResult Unavailable() => Results.Problem(
        "the IoTix database is unavailable; try again later",
        statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "Service unavailable");
}

/// <summary>A rule as the API takes it; <c>id</c> is optional on create (generated), <c>enabled</c> defaults to true.</summary>
internal sealed class RuleRequest
{
    public string? Id { get; set; }

    public string? Name { get; set; }

    public string? Description { get; set; }

    public bool? Enabled { get; set; }

    public List<string>? TopicFilters { get; set; }

    public string? Condition { get; set; }

    public List<RuleActionDefinition>? Actions { get; set; }

    public RuleDefinition ToDefinition() => new()
    {
        Id = Id ?? "",
        Name = Name ?? "",
        Description = Description,
        Enabled = Enabled ?? true,
        TopicFilters = TopicFilters ?? [],
        Condition = Condition,
        Actions = Actions ?? [],
    };
}

/// <summary>A sample message: <c>payload</c> is a string, or any JSON value (sent as its JSON text).</summary>
internal class RuleTestMessageRequest
{
    public string? Topic { get; set; }

    public JsonElement? Payload { get; set; }

    public string? ClientId { get; set; }

    public string? Username { get; set; }

    public int? Qos { get; set; }

    public bool? Retain { get; set; }

    public RuleTestMessage? ToMessage(out RuleFieldError? error)
    {
        if (string.IsNullOrEmpty(Topic) || RuleTopics.CheckTopicName(Topic) is not null)
        {
            error = new RuleFieldError("topic", "is required: a topic name without wildcards");
            return null;
        }

        if (Qos is < 0 or > 2)
        {
            error = new RuleFieldError("qos", $"must be 0, 1 or 2 (was {Qos})");
            return null;
        }

        var payload = Payload switch
        {
            null => "",
            { ValueKind: JsonValueKind.String } text => text.GetString()!,
            { } json => json.GetRawText(),
        };
        error = null;
        return new RuleTestMessage(Topic, payload, ClientId, Username, Qos ?? 0, Retain ?? false);
    }
}

/// <summary>A rule definition and a sample message for <c>POST /rules/test</c>.</summary>
internal sealed class RuleTestRequest : RuleTestMessageRequest
{
    public RuleRequest? Rule { get; set; }
}

internal sealed record RuleCountersResponse(long Matched, long Passed, long ActionsSucceeded, long ActionsFailed, long ActionsDropped, string? LastError, DateTimeOffset? LastErrorAt);

internal sealed record RuleResponse(
    string Id,
    string Name,
    string? Description,
    bool Enabled,
    IReadOnlyList<string> TopicFilters,
    string? Condition,
    IReadOnlyList<RuleActionDefinition> Actions,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    RuleCountersResponse Counters)
{
    public static RuleResponse From(RuleView view)
    {
        var d = view.Definition;
        var c = view.Counters;
        return new RuleResponse(d.Id, d.Name, d.Description, d.Enabled, d.TopicFilters, d.Condition, d.Actions, view.CreatedAt, view.UpdatedAt,
            new RuleCountersResponse(c.Matched, c.Passed, c.ActionsSucceeded, c.ActionsFailed, c.ActionsDropped, c.LastError, c.LastErrorAt));
    }
}

internal sealed record RuleTestResponse(bool TopicMatched, bool? ConditionPassed, bool WouldRun, IReadOnlyList<RuleActionPreview> Actions)
{
    public static RuleTestResponse From(RuleTestResult result) => new(result.TopicMatched, result.ConditionPassed, result.WouldRun, result.Actions);
}

internal sealed record RuleEventResponse(long Id, string RuleId, string Topic, string? ClientId, int Qos, DateTimeOffset Timestamp, string Payload);
