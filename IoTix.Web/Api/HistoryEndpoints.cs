using System.Globalization;
using System.Text;
using IoTix.Broker.History;
using IoTix.Broker.Security;
using IoTix.Web.History;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.Options;
using MQTTnet.Protocol;

namespace IoTix.Web.Api;

/// <summary>
/// <c>/api/v1/history</c>: captured messages by topic filter and time range, in order, paged by cursor or page
/// (FR-031), the capture status, and replay jobs (FR-032). A tenant sees and replays only its own messages (those of
/// its namespace <c>tenants/{t}/</c>; the default tenant's are the rest) and only its own jobs (another's: 404); a
/// non-default tenant's replay publishes only inside its namespace.
/// </summary>
internal static class HistoryEndpoints
{
    public static void MapHistory(this RouteGroupBuilder api)
    {
        var history = api.MapGroup("/history").WithTags("History");
        history.MapGet("/", Query)
            .WithSummary("Query captured messages")
            .WithDescription("topic: MQTT topic filter (+ and #, default #); from/to: ISO 8601 instants, [from, to); cursor (from nextCursor) or page (1-based); limit (default IoTix:Api:DefaultPageSize). Ordered by capture time.")
            .Produces<HistoryPageResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        history.MapGet("/status", Status)
            .WithSummary("What history captures, its retention and counters")
            .Produces<HistoryStatusResponse>();
        history.MapPost("/replays", StartReplay)
            .WithSummary("Replay a query's messages (a background job)")
            .WithDescription("pace: original (default), scaled (with speed, e.g. 2 = twice as fast) or fast (as fast as possible). targetTopic: publish every message there instead of its own topic.")
            .Accepts<ReplayRequestBody>("application/json")
            .Produces<ReplayJobResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);
        history.MapGet("/replays", ListReplays)
            .WithSummary("Replay jobs, newest first")
            .Produces<IReadOnlyList<ReplayJobResponse>>();
        history.MapGet("/replays/{id}", GetReplay)
            .WithSummary("A replay job's progress and status")
            .Produces<ReplayJobResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        history.MapPost("/replays/{id}/cancel", CancelReplay)
            .WithSummary("Cancel a queued or running replay")
            .Produces<ReplayJobResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> Query(HttpRequest request, TenantMessageData history, ITenantContext tenant, IOptions<ApiOptions> options, CancellationToken cancellationToken)
    {
        var query = request.Query;
        var errors = new FieldErrors();
        var topic = query["topic"].ToString() is { Length: > 0 } t ? t : "#";
        if (!MqttTopicMatch.IsValidFilter(topic, out var problem))
        {
            errors.Add("topic", problem);
        }

        var from = ParseInstant(query, "from", errors);
        var to = ParseInstant(query, "to", errors);
        if (from is { } f && to is { } u && f >= u)
        {
            errors.Add("to", $"must be later than from ({Format(f)})");
        }

        HistoryCursor? cursor = null;
        var cursorText = query["cursor"].ToString();
        if (cursorText.Length > 0)
        {
            if (HistoryCursor.TryParse(cursorText, out var parsed))
            {
                cursor = parsed;
            }
            else
            {
                errors.Add("cursor", "is not a cursor this API returned (use nextCursor of a previous page)");
            }
        }

        var page = ApiRequests.QueryInt(query, "page", errors);
        var limit = ApiRequests.QueryInt(query, "limit", errors) ?? options.Value.DefaultPageSize;
        if (page is not null && cursorText.Length > 0)
        {
            errors.Add("page", "use either cursor or page, not both");
        }

        if (page is < 1)
        {
            errors.Add("page", $"must be at least 1 (was {page})");
        }

        if (limit < 1 || limit > options.Value.MaxPageSize)
        {
            errors.Add("limit", $"must be between 1 and {options.Value.MaxPageSize} (was {limit})");
        }

        if (errors.Any)
        {
            return ApiProblems.Invalid(errors);
        }

        var offset = page is { } p ? (int)Math.Min(int.MaxValue, (long)(p - 1) * limit) : 0;
        var result = await history.QueryAsync(tenant.TenantId, new HistoryQuery(topic, from, to, cursor, offset, limit), cancellationToken).ConfigureAwait(false);
        if (result is null)
        {
            return Unavailable("message history");
        }

        var items = new List<HistoryMessageResponse>(result.Items.Count);
        foreach (var message in result.Items)
        {
            items.Add(ToResponse(message));
        }

        return Results.Ok(new HistoryPageResponse(items, result.Next?.Format(), limit, page));
    }

    private static async Task<IResult> Status(TenantMessageData history, HistoryRetentionPurge purge, ITenantContext tenant, CancellationToken cancellationToken)
    {
        var status = history.GetStatus();
        var retention = await purge.RetentionOfAsync(tenant.TenantId, cancellationToken).ConfigureAwait(false);
        return Results.Ok(new HistoryStatusResponse(status.Enabled, status.Topics, RetentionName(retention.Effective), status.Captured, status.Queued, status.Dropped, status.Skipped, status.StoreUnavailable));
    }

    private static async Task<IResult> StartReplay(HttpRequest request, TenantMessageData history, ITenantContext tenant, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<ReplayRequestBody>(request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new FieldErrors();
        var replay = ToReplay(body!, tenant.TenantId, errors);
        if (replay is null)
        {
            return ApiProblems.Invalid(errors);
        }

        var started = history.StartReplay(tenant.TenantId, replay);
        return started.Job is { } job
            ? Results.Accepted($"{ApiEndpoints.Prefix}/history/replays/{job.Id}", ToResponse(job))
            : Conflict(started.Error!);
    }

    /// <summary>A replay from a request body, every bad field named (a non-default tenant's target topic must be inside its namespace).</summary>
    internal static ReplayRequest? ToReplay(ReplayRequestBody body, string tenantId, FieldErrors errors)
    {
        var topic = body.Topic is { Length: > 0 } t ? t : "#";
        if (!MqttTopicMatch.IsValidFilter(topic, out var filterProblem))
        {
            errors.Add("topic", filterProblem);
        }

        if (body.From is { } from && body.To is { } to && from >= to)
        {
            errors.Add("to", $"must be later than from ({Format(from)})");
        }

        if (body.TargetTopic is { } target && !MqttTopicMatch.IsValidTopicName(target, out var targetProblem))
        {
            errors.Add("targetTopic", targetProblem);
        }
        else if (body.TargetTopic is { } inside && TenantMessageData.CheckTopic(tenantId, inside) is { } outside)
        {
            errors.Add("targetTopic", outside);
        }

        var pace = ReplayPace.Original;
        if (body.Pace is { } name && !TryParsePace(name, out pace))
        {
            errors.Add("pace", $"must be one of {PaceNames} (was '{name}')");
        }

        var speed = body.Speed ?? 1.0;
        if (pace == ReplayPace.Scaled && (!double.IsFinite(speed) || speed < 0.01 || speed > 1000))
        {
            errors.Add("speed", $"must be between 0.01 and 1000 for a scaled replay (was {speed.ToString(CultureInfo.InvariantCulture)})");
        }
        else if (pace != ReplayPace.Scaled && body.Speed is not null && speed != 1.0)
        {
            errors.Add("speed", "applies to pace 'scaled' only");
        }

        return errors.Any ? null : new ReplayRequest(topic, body.From, body.To, body.TargetTopic, pace, pace == ReplayPace.Scaled ? speed : 1.0);
    }

    private static IResult ListReplays(TenantMessageData history, ITenantContext tenant)
    {
        var jobs = history.ListReplays(tenant.TenantId);
        var list = new List<ReplayJobResponse>(jobs.Count);
        foreach (var job in jobs)
        {
            list.Add(ToResponse(job));
        }

        return Results.Ok(list);
    }

    private static IResult GetReplay(string id, TenantMessageData history, ITenantContext tenant) =>
        history.GetReplay(tenant.TenantId, id) is { } job ? Results.Ok(ToResponse(job)) : ApiProblems.NotFound($"replay '{id}'");

    private static IResult CancelReplay(string id, TenantMessageData history, ITenantContext tenant) =>
        history.CancelReplay(tenant.TenantId, id) switch
        {
            null => ApiProblems.NotFound($"replay '{id}'"),
            true => Results.Accepted($"{ApiEndpoints.Prefix}/history/replays/{id}", ToResponse(history.GetReplay(tenant.TenantId, id)!)),
            false => Conflict($"replay '{id}' has already finished"),
        };

    public const string PaceNames = "original, scaled, fast";

    public static string PaceName(ReplayPace pace) => pace switch
    {
        ReplayPace.Scaled => "scaled",
        ReplayPace.AsFastAsPossible => "fast",
        _ => "original",
    };

    public static bool TryParsePace(string text, out ReplayPace pace)
    {
        foreach (var candidate in Enum.GetValues<ReplayPace>())
        {
            if (string.Equals(PaceName(candidate), text, StringComparison.OrdinalIgnoreCase))
            {
                pace = candidate;
                return true;
            }
        }

        pace = ReplayPace.Original;
        return false;
    }

    internal static string RetentionName(TimeSpan retention) =>
        retention.TotalHours % 24 == 0 && retention.TotalDays >= 7
            ? string.Create(CultureInfo.InvariantCulture, $"{retention.TotalDays:0}d")
            : string.Create(CultureInfo.InvariantCulture, $"{retention.TotalHours:0}h");

    internal static HistoryMessageResponse ToResponse(HistoryMessage message) =>
        new(message.Id, message.Timestamp, message.ClientId, MessageResponse.From(message.Message));

    internal static ReplayJobResponse ToResponse(ReplayJobInfo job) => new(
        job.Id,
        job.State.ToString().ToLowerInvariant(),
        job.Request.TopicFilter,
        job.Request.From,
        job.Request.To,
        job.Request.TargetTopic,
        PaceName(job.Request.Pace),
        job.Request.Speed,
        job.Total,
        job.Published,
        job.Truncated,
        job.CreatedAt,
        job.StartedAt,
        job.FinishedAt,
        Math.Round(job.MaxLagMs, 3),
        Math.Round(job.MeanLagMs, 3),
        job.Error);

    internal static IResult Unavailable(string what) => Results.Problem(
        $"the {what} store is unavailable (database down or not configured); MQTT keeps running, try again later",
        statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "Unavailable");

    internal static IResult Conflict(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict");

    private static DateTimeOffset? ParseInstant(IQueryCollection query, string name, FieldErrors errors)
    {
        var text = query[name].ToString();
        if (text.Length == 0)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            return value;
        }

        errors.Add(name, $"must be an ISO 8601 date and time, e.g. 2026-01-31T12:00:00Z (was '{text}')");
        return null;
    }

    private static string Format(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);
}

/// <summary>Body of <c>POST /api/v1/history/replays</c>.</summary>
public sealed class ReplayRequestBody
{
    /// <summary>Topic filter of the messages to replay (default #).</summary>
    public string? Topic { get; set; }

    public DateTimeOffset? From { get; set; }

    public DateTimeOffset? To { get; set; }

    /// <summary>Publish every message to this topic instead of its own.</summary>
    public string? TargetTopic { get; set; }

    /// <summary>original (default), scaled or fast.</summary>
    public string? Pace { get; set; }

    /// <summary>Speed factor of a scaled replay (2 = twice as fast).</summary>
    public double? Speed { get; set; }
}

/// <summary>A stored MQTT message: payload in base64 and, when it is UTF-8 text, as text too.</summary>
public sealed record MessageResponse(
    string Topic,
    int Qos,
    bool Retain,
    string Payload,
    string? PayloadText,
    int PayloadBytes,
    string? ContentType,
    string? CorrelationData,
    string? ResponseTopic,
    string PayloadFormat,
    uint MessageExpiryInterval,
    IReadOnlyList<CapturedUserProperty> UserProperties)
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static MessageResponse From(CapturedMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new MessageResponse(
            message.Topic,
            (int)message.QualityOfService,
            message.Retain,
            Convert.ToBase64String(message.Payload),
            TryText(message.Payload),
            message.Payload.Length,
            message.ContentType,
            message.CorrelationData is null ? null : Convert.ToBase64String(message.CorrelationData),
            message.ResponseTopic,
            message.PayloadFormatIndicator == MqttPayloadFormatIndicator.CharacterData ? "utf8" : "unspecified",
            message.MessageExpiryInterval,
            message.UserProperties);
    }

    private static string? TryText(byte[] payload)
    {
        try
        {
            return StrictUtf8.GetString(payload);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}

public sealed record HistoryMessageResponse(long Id, DateTimeOffset Timestamp, string ClientId, MessageResponse Message);

/// <summary>A page of history; <paramref name="NextCursor"/> fetches the next one (null at the end).</summary>
public sealed record HistoryPageResponse(IReadOnlyList<HistoryMessageResponse> Items, string? NextCursor, int Limit, int? Page);

public sealed record HistoryStatusResponse(bool Enabled, IReadOnlyList<string> Topics, string Retention, long Captured, long Queued, long Dropped, long Skipped, bool StoreUnavailable);

public sealed record ReplayJobResponse(
    string Id,
    string State,
    string Topic,
    DateTimeOffset? From,
    DateTimeOffset? To,
    string? TargetTopic,
    string Pace,
    double Speed,
    int Total,
    int Published,
    bool Truncated,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    double MaxLagMs,
    double MeanLagMs,
    string? Error);
