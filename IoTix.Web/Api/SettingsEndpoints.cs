using IoTix.Broker;
using IoTix.Broker.Admin;
using IoTix.Core.Devices;
using IoTix.Web.Components.Pages.Settings;
using IoTix.Web.Simulations;
using IoTix.Web.Tenancy;

namespace IoTix.Web.Api;

/// <summary>
/// <c>/api/v1/settings</c>: the settings of the console's Settings page (message history retention, payload limit,
/// connection rate limit, duplicate client id policy), read and replaced through the same
/// <see cref="ConsoleSettingsService"/>, with the same validation and the same "now or at the next start" answer.
/// The broker settings are installation-wide: only the default tenant changes them. Another tenant reads them (listed
/// in <c>readOnly</c>) and sets its own history retention; a changed installation field is refused by name (400), a
/// retention beyond the tenant's quota answers 409 <c>limitExceeded</c> with <c>errors.quota</c>.
/// </summary>
internal static class SettingsEndpoints
{
    public static void MapSettings(this RouteGroupBuilder api)
    {
        var settings = api.MapGroup("/settings").WithTags("Settings");
        settings.MapGet("/", Get)
            .WithSummary("The stored settings (retention, payload limit, rate limit, duplicate client id policy) and what waits for a restart")
            .Produces<SettingsResponse>()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        settings.MapPut("/", Put)
            .WithSummary("Replace every setting: stored, then applied to the broker now or at the next start (the answer says which)")
            .Accepts<SettingsRequest>("application/json")
            .Produces<SettingsResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<IResult> Get(ConsoleSettingsService settings, ITenantContext tenant, CancellationToken cancellationToken)
    {
        var values = await settings.LoadAsync(tenant.TenantId, cancellationToken).ConfigureAwait(false);
        return values is null
            ? Unavailable("the database is unavailable; the stored settings cannot be read now")
            : Results.Ok(await ToResponseAsync(values, settings, tenant.TenantId, [], cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> Put(HttpRequest request, ConsoleSettingsService settings, IBrokerRuntimeSettings broker, ITenantContext tenant, CancellationToken cancellationToken)
    {
        var (body, problem) = await ApiJson.ReadAsync<SettingsRequest>(request, required: true, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new FieldErrors();
        var installation = ConsoleSettingsService.ManagesInstallation(tenant.TenantId) ? null : broker.Requested;
        var values = ToValues(body!, errors, installation);
        if (values is null)
        {
            return ApiProblems.Invalid(errors);
        }

        foreach (var refused in await settings.CheckTenantAsync(tenant.TenantId, values, cancellationToken).ConfigureAwait(false))
        {
            if (refused.Field == ConsoleSettingsService.QuotaField)
            {
                return ApiProblems.From(SimulationError.ForField(EngineErrorCode.LimitExceeded, ConsoleSettingsService.QuotaField, refused.Message));
            }

            errors.Add(refused.Field, refused.Message);
        }

        if (errors.Any)
        {
            return ApiProblems.Invalid(errors);
        }

        var saved = await settings.SaveAsync(tenant.TenantId, values, cancellationToken).ConfigureAwait(false);
        if (!saved.Succeeded)
        {
            // Values were validated above: what remains is the database refusing the write.
            return Unavailable(string.Join(" ", saved.Errors));
        }

        return Results.Ok(await ToResponseAsync(values, settings, tenant.TenantId, saved.AppliedNow, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// The request's values, or null with an error per missing or invalid field. With <paramref name="installation"/>
    /// (a tenant that cannot change them) the installation-wide fields may be left out: they keep those values.
    /// </summary>
    internal static ConsoleSettingsValues? ToValues(SettingsRequest body, FieldErrors errors, BrokerRuntimeSettingsValues? installation = null)
    {
        const string Required = "is required: PUT replaces every setting (GET /api/v1/settings gives the current values)";
        var retention = ConsoleSettingKeys.DefaultRetention;
        if (body.HistoryRetention is null)
        {
            errors.Add(ConsoleSettingsService.RetentionField, Required);
        }
        else if (!ConsoleSettingKeys.TryParseRetention(body.HistoryRetention, out retention))
        {
            errors.Add(ConsoleSettingsService.RetentionField, $"{ConsoleSettingsService.RetentionMessage} Was '{body.HistoryRetention}'.");
        }

        if (installation is not null)
        {
            body.MaxPayloadBytes ??= installation.MaxPayloadBytes;
            body.ConnectionRateLimitPerIpPerSecond ??= installation.ConnectionRatePerIpPerSecond;
            body.DuplicateClientId ??= ConsoleSettingKeys.Format(installation.DuplicateClientId);
        }

        var policy = DuplicateClientIdPolicy.Takeover;
        if (body.DuplicateClientId is null)
        {
            errors.Add(ConsoleSettingsService.DuplicateClientIdField, Required);
        }
        else if (!ConsoleSettingKeys.TryParsePolicy(body.DuplicateClientId, out policy))
        {
            errors.Add(ConsoleSettingsService.DuplicateClientIdField, $"{ConsoleSettingsService.DuplicateClientIdMessage} Was '{body.DuplicateClientId}'.");
        }

        if (body.MaxPayloadBytes is null)
        {
            errors.Add(ConsoleSettingsService.PayloadField, Required);
        }

        if (body.ConnectionRateLimitPerIpPerSecond is null)
        {
            errors.Add(ConsoleSettingsService.RateField, Required);
        }

        var values = new ConsoleSettingsValues(retention, body.MaxPayloadBytes ?? 1, body.ConnectionRateLimitPerIpPerSecond ?? 0, policy);
        foreach (var error in ConsoleSettingsService.ValidateFields(values))
        {
            errors.Add(error.Field, error.Message);
        }

        return errors.Any ? null : values;
    }

    private static async Task<SettingsResponse> ToResponseAsync(ConsoleSettingsValues values, ConsoleSettingsService settings, string tenantId, IReadOnlyList<string> appliedNow, CancellationToken cancellationToken) => new(
        ConsoleSettingKeys.Format(values.HistoryRetention),
        values.MaxPayloadBytes,
        values.ConnectionRatePerIpPerSecond,
        ConsoleSettingKeys.Format(values.DuplicateClientId),
        settings.ActiveMaxPayloadBytes,
        appliedNow,
        settings.RestartPending ? ["payload limit"] : [],
        ConsoleSettingsService.ManagesInstallation(tenantId) ? [] : ConsoleSettingsService.InstallationFields,
        await settings.RetentionQuotaDaysAsync(tenantId, cancellationToken).ConfigureAwait(false));

    private static IResult Unavailable(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Unavailable");
}

/// <summary>Every setting of the Settings page (PUT replaces all of them).</summary>
public sealed class SettingsRequest
{
    /// <summary>How long message history is kept: <c>12h</c>, <c>24h</c>, <c>48h</c> or <c>7d</c>.</summary>
    public string? HistoryRetention { get; set; }

    /// <summary>Largest PUBLISH payload in bytes, 1 to 268435455 (applies at the next start; installation-wide: a non-default tenant leaves it out or unchanged).</summary>
    public int? MaxPayloadBytes { get; set; }

    /// <summary>New connections per source IP and second, 0 (off) to 1000000 (applies to the next connection).</summary>
    public int? ConnectionRateLimitPerIpPerSecond { get; set; }

    /// <summary>What a CONNECT with a connected client's id does: <c>takeover</c> or <c>reject</c> (applies to the next CONNECT).</summary>
    public string? DuplicateClientId { get; set; }
}

/// <summary>The stored settings, the payload limit the running broker enforces, and what changed now or waits for a restart.</summary>
/// <param name="ActiveMaxPayloadBytes">the payload limit the running listeners enforce (differs from <paramref name="MaxPayloadBytes"/> until the next start)</param>
/// <param name="AppliedNow">settings this request changed that are enforced from now on (empty for GET)</param>
/// <param name="PendingRestart">settings saved but enforced only from the next start of IoTix</param>
/// <param name="ReadOnly">fields the caller's tenant cannot change (installation-wide; empty for the default tenant)</param>
/// <param name="HistoryRetentionQuotaDays">the longest retention the caller's tenant may choose (quota historyRetentionDays)</param>
public sealed record SettingsResponse(
    string HistoryRetention,
    int MaxPayloadBytes,
    int ConnectionRateLimitPerIpPerSecond,
    string DuplicateClientId,
    int ActiveMaxPayloadBytes,
    IReadOnlyList<string> AppliedNow,
    IReadOnlyList<string> PendingRestart,
    IReadOnlyList<string> ReadOnly,
    int? HistoryRetentionQuotaDays);
