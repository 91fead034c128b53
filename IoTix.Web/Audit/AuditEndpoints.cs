using System.Globalization;
using System.Text;
using IoTix.Web.Accounts;
using IoTix.Web.Api;
using IoTix.Web.Tenancy;

namespace IoTix.Web.Audit;

public sealed record AuditEntryResponse(long Id, DateTimeOffset At, string Actor, string Action, string Target, string Outcome, int? StatusCode, string? RemoteIp, string? Details);

/// <summary>Marks a read endpoint as sensitive: the audit filter records it like a change.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class AuditedReadAttribute : Attribute;

/// <summary>
/// <c>/api/v1/audit</c>: the caller's tenant's audit log, filtered, as JSON or CSV (audit.read); and the /api/v1
/// group filter that records every change (any method but GET/HEAD) and every sensitive read with its outcome.
/// </summary>
internal static class AuditEndpoints
{
    public static void MapAudit(this RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit").WithTags("Audit");
        audit.MapGet("/", Query).RequirePermission(Permissions.AuditRead).WithMetadata(new AuditedReadAttribute())
            .WithSummary("Query the audit log, newest first. Filters: actor, action (substring), outcome (success|failed|denied), from, to (ISO 8601), limit")
            .Produces<IReadOnlyList<AuditEntryResponse>>();
        audit.MapGet("/export", Export).RequirePermission(Permissions.AuditRead).WithMetadata(new AuditedReadAttribute())
            .WithSummary("Export the filtered audit log: format=csv or json (a file download)")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv");
    }

    private const string DetailsItem = "iotix:audit-details";

    /// <summary>Details for the entry the <see cref="AuditChanges"/> filter writes for this request (e.g. <c>before -> after</c>).</summary>
    public static void SetAuditDetails(this HttpContext http, string details)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.Items[DetailsItem] = details;
    }

    /// <summary>Records changes and sensitive reads of the group's routes (who, tenant, what, from where, status, details an endpoint set).</summary>
    public static RouteGroupBuilder AuditChanges(this RouteGroupBuilder api)
    {
        api.AddEndpointFilter(static async (context, next) =>
        {
            var result = await next(context).ConfigureAwait(false);
            var http = context.HttpContext;
            var request = http.Request;
            var endpoint = http.GetEndpoint();
            var read = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);
            if ((read && endpoint?.Metadata.GetMetadata<AuditedReadAttribute>() is null)
                || endpoint?.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is not null) // sign-in audits itself
            {
                return result;
            }

            var status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : http.Response.StatusCode;
            var pattern = (endpoint as RouteEndpoint)?.RoutePattern.RawText ?? request.Path.Value ?? "";
            var log = http.RequestServices.GetRequiredService<IAuditLog>();
            await log.WriteAsync(new AuditEntry(
                TenantClaims.TenantOf(http.User) ?? Tenants.Default,
                AccountClaims.Actor(http.User),
                $"{request.Method} {pattern}",
                request.Path.Value + request.QueryString.Value,
                status < 400 ? AuditOutcomes.Success : AuditOutcomes.Failed,
                status,
                http.Connection.RemoteIpAddress?.ToString(),
                http.Items.TryGetValue(DetailsItem, out var details) ? details as string : null)).ConfigureAwait(false);
            return result;
        });
        return api;
    }

    private static async Task<IResult> Query(HttpRequest request, IAuditLog audit, CancellationToken cancellationToken)
    {
        var (query, problem) = Parse(request);
        if (problem is not null)
        {
            return problem;
        }

        var rows = await audit.QueryAsync(query!, cancellationToken).ConfigureAwait(false);
        var list = new List<AuditEntryResponse>(rows.Count);
        foreach (var row in rows)
        {
            list.Add(ToResponse(row));
        }

        return Results.Ok(list);
    }

    private static async Task<IResult> Export(HttpRequest request, IAuditLog audit, string? format, CancellationToken cancellationToken)
    {
        var (query, problem) = Parse(request);
        if (problem is null && format is not (null or "csv" or "json"))
        {
            var errors = new FieldErrors();
            errors.Add("format", $"must be csv or json (was '{format}')");
            problem = ApiProblems.Invalid(errors);
        }

        if (problem is not null)
        {
            return problem;
        }

        var rows = await audit.QueryAsync(query! with { Limit = int.MaxValue }, cancellationToken).ConfigureAwait(false);
        var list = new List<AuditEntryResponse>(rows.Count);
        foreach (var row in rows)
        {
            list.Add(ToResponse(row));
        }

        if (format == "json")
        {
            return Results.File(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(list, ApiJson.Options), "application/json", "audit.json");
        }

        return Results.File(Encoding.UTF8.GetBytes(ToCsv(list)), "text/csv", "audit.csv");
    }

    internal static string ToCsv(IReadOnlyList<AuditEntryResponse> rows)
    {
        var csv = new StringBuilder("id,at,actor,action,target,outcome,statusCode,remoteIp,details\n");
        foreach (var r in rows)
        {
            csv.Append(r.Id.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(r.At.ToString("O", CultureInfo.InvariantCulture)).Append(',')
                .Append(Field(r.Actor)).Append(',').Append(Field(r.Action)).Append(',').Append(Field(r.Target)).Append(',')
                .Append(r.Outcome).Append(',').Append(r.StatusCode?.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(Field(r.RemoteIp)).Append(',').Append(Field(r.Details)).Append('\n');
        }

        return csv.ToString();
    }

    /// <summary>RFC 4180 quoting; a leading = + - @ is prefixed with ' so spreadsheets do not run it as a formula.</summary>
    private static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }

    private static (AuditQuery? Query, IResult? Problem) Parse(HttpRequest request)
    {
        var errors = new FieldErrors();
        var q = request.Query;
        DateTimeOffset? from = Time(q["from"], "from", errors), to = Time(q["to"], "to", errors);
        var limit = 1000;
        if (q["limit"].ToString() is { Length: > 0 } text && (!int.TryParse(text, CultureInfo.InvariantCulture, out limit) || limit < 1))
        {
            errors.Add("limit", $"must be a positive integer (was '{text}')");
        }

        var outcome = q["outcome"].ToString();
        if (outcome.Length > 0 && outcome is not (AuditOutcomes.Success or AuditOutcomes.Failed or AuditOutcomes.Denied))
        {
            errors.Add("outcome", $"must be success, failed or denied (was '{outcome}')");
        }

        return errors.Any
            ? (null, ApiProblems.Invalid(errors))
            : (new AuditQuery(q["actor"].ToString(), q["action"].ToString(), outcome, from, to, limit), null);
    }

    private static DateTimeOffset? Time(string? text, string field, FieldErrors errors)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return at;
        }

        errors.Add(field, $"must be an ISO 8601 time (was '{text}')");
        return null;
    }

    internal static AuditEntryResponse ToResponse(AuditRecord r) =>
        new(r.Id, new DateTimeOffset(DateTime.SpecifyKind(r.At, DateTimeKind.Utc)), r.Actor, r.Action, r.Target, r.Outcome, r.StatusCode, r.RemoteIp, r.Details);
}
