using IoTix.Broker.DeadLetters;
using IoTix.Broker.Security;
using IoTix.Web.History;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Api;

/// <summary>
/// <c>/api/v1/dead-letters</c>: messages the broker could not deliver (FR-033), newest first: list (by reason and
/// topic filter, paged), get, publish again, delete. A tenant sees and acts on its own dead letters only (those of its
/// namespace <c>tenants/{t}/</c> by topic or client id; another tenant's: 404) and re-publishes only inside its namespace.
/// </summary>
internal static class DeadLetterEndpoints
{
    public static void MapDeadLetters(this RouteGroupBuilder api)
    {
        var deadLetters = api.MapGroup("/dead-letters").WithTags("Dead letters");
        deadLetters.MapGet("/", List)
            .WithSummary("List dead letters, newest first")
            .WithDescription($"reason: one of {DeadLetterReasons.Names}; topic: MQTT topic filter; paging page/pageSize or offset/limit.")
            .Produces<PageResponse<DeadLetterResponse>>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        deadLetters.MapGet("/status", Status)
            .WithSummary("Dead-letter queue bounds and counters")
            .Produces<DeadLetterStatus>();
        deadLetters.MapGet("/{id:long}", Get)
            .WithSummary("A dead letter")
            .Produces<DeadLetterResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        deadLetters.MapPost("/{id:long}/republish", Republish)
            .WithSummary("Publish a dead letter again (to its topic or another), then remove it unless keep is true")
            .Accepts<RepublishRequestBody>("application/json")
            .Produces<RepublishResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        deadLetters.MapDelete("/{id:long}", Delete)
            .WithSummary("Delete a dead letter")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> List(HttpRequest request, TenantMessageData queue, ITenantContext tenant, IOptions<ApiOptions> options, CancellationToken cancellationToken)
    {
        var query = request.Query;
        var errors = new FieldErrors();
        DeadLetterReason? reason = null;
        var reasonText = query["reason"].ToString();
        if (reasonText.Length > 0)
        {
            if (DeadLetterReasons.TryParse(reasonText, out var parsed))
            {
                reason = parsed;
            }
            else
            {
                errors.Add("reason", $"must be one of {DeadLetterReasons.Names} (was '{reasonText}')");
            }
        }

        var topic = query["topic"].ToString() is { Length: > 0 } t ? t : null;
        if (topic is not null && !MqttTopicMatch.IsValidFilter(topic, out var problem))
        {
            errors.Add("topic", problem);
        }

        var paging = Paging.Parse(query, options.Value, errors);
        if (errors.Any || paging is not { } page)
        {
            return ApiProblems.Invalid(errors);
        }

        var result = await queue.ListDeadLettersAsync(tenant.TenantId, new DeadLetterQuery(reason, topic, page.Offset, page.Limit), cancellationToken).ConfigureAwait(false);
        if (result is null)
        {
            return HistoryEndpoints.Unavailable("dead-letter");
        }

        var items = new List<DeadLetterResponse>(result.Items.Count);
        foreach (var deadLetter in result.Items)
        {
            items.Add(ToResponse(deadLetter));
        }

        return Results.Ok(page.Respond<DeadLetterResponse>(items, result.Total));
    }

    private static IResult Status(TenantMessageData queue) => Results.Ok(queue.GetDeadLetterStatus());

    private static async Task<IResult> Get(long id, TenantMessageData queue, ITenantContext tenant, CancellationToken cancellationToken)
    {
        var lookup = await queue.GetDeadLetterAsync(tenant.TenantId, id, cancellationToken).ConfigureAwait(false);
        if (!lookup.Available)
        {
            return HistoryEndpoints.Unavailable("dead-letter");
        }

        return lookup.DeadLetter is { } deadLetter ? Results.Ok(ToResponse(deadLetter)) : ApiProblems.NotFound($"dead letter {id}");
    }

    private static async Task<IResult> Republish(long id, HttpRequest request, TenantMessageData queue, ITenantContext tenant, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<RepublishRequestBody>(request, required: false, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Topic is { } topic && (!MqttTopicMatch.IsValidTopicName(topic, out var topicProblem) || (topicProblem = TenantMessageData.CheckTopic(tenant.TenantId, topic)) is not null))
        {
            var errors = new FieldErrors();
            errors.Add("topic", topicProblem);
            return ApiProblems.Invalid(errors);
        }

        var result = await queue.RepublishDeadLetterAsync(tenant.TenantId, id, body.Topic, body.Keep ?? false, cancellationToken).ConfigureAwait(false);
        return result.Outcome switch
        {
            RepublishOutcome.Published => Results.Ok(new RepublishResponse(id, result.Topic!, !(body.Keep ?? false), result.Message)),
            RepublishOutcome.NotFound => ApiProblems.NotFound($"dead letter {id}"),
            RepublishOutcome.StoreUnavailable => HistoryEndpoints.Unavailable("dead-letter"),
            _ => HistoryEndpoints.Conflict(result.Message),
        };
    }

    private static async Task<IResult> Delete(long id, TenantMessageData queue, ITenantContext tenant, CancellationToken cancellationToken)
    {
        return await queue.DeleteDeadLetterAsync(tenant.TenantId, id, cancellationToken).ConfigureAwait(false) switch
        {
            true => Results.NoContent(),
            false => ApiProblems.NotFound($"dead letter {id}"),
            null => HistoryEndpoints.Unavailable("dead-letter"),
        };
    }

    internal static DeadLetterResponse ToResponse(DeadLetter deadLetter) => new(
        deadLetter.Id,
        deadLetter.Timestamp,
        DeadLetterReasons.Name(deadLetter.Reason),
        deadLetter.ClientId,
        deadLetter.PublisherClientId,
        deadLetter.PayloadBytes,
        deadLetter.PayloadTruncated,
        MessageResponse.From(deadLetter.Message));
}

/// <summary>Body of <c>POST /api/v1/dead-letters/{id}/republish</c> (optional).</summary>
public sealed class RepublishRequestBody
{
    /// <summary>Where to publish (default: the message's own topic).</summary>
    public string? Topic { get; set; }

    /// <summary>Keep the dead letter after publishing (default false: it is removed).</summary>
    public bool? Keep { get; set; }
}

/// <param name="ClientId">the receiver (queue overflow, session expiry) or the publisher (ACL, payload size)</param>
public sealed record DeadLetterResponse(long Id, DateTimeOffset Timestamp, string Reason, string ClientId, string? PublisherClientId, long PayloadBytes, bool PayloadTruncated, MessageResponse Message);

public sealed record RepublishResponse(long Id, string Topic, bool Removed, string Message);
