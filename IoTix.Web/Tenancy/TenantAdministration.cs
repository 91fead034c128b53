using System.Text.RegularExpressions;
using IoTix.Web.Accounts;
using IoTix.Web.Api;
using Microsoft.AspNetCore.Identity;

namespace IoTix.Web.Tenancy;

/// <summary>How a tenant change ended.</summary>
internal enum TenantChangeCode
{
    Ok,

    /// <summary>A field is wrong (<see cref="TenantChange.Errors"/>).</summary>
    Invalid,

    /// <summary>The id is taken.</summary>
    Conflict,

    NotFound,

    /// <summary>The tenant was created, its first Owner was not (<see cref="TenantChange.Errors"/> say why).</summary>
    OwnerNotCreated,
}

/// <summary>A tenant change: the tenant as it is now (and before, for updates), or why not.</summary>
internal sealed record TenantChange(TenantChangeCode Code, TenantResponse? Tenant, FieldErrors Errors, string? Message = null, TenantResponse? Before = null)
{
    public bool Succeeded => Code == TenantChangeCode.Ok;
}

/// <summary>
/// Platform administration of tenants, shared by <c>/api/v1/tenants</c> and the console's Tenants page: list with the
/// effective quotas, create (optionally with a first Owner), change the name and quotas. Checks the request and
/// answers expected failures as values.
/// </summary>
internal sealed partial class TenantAdministration(TenantDirectory directory, UserManager<IoTixUser> users, TimeProvider time)
{
    public async Task<IReadOnlyList<TenantResponse>> ListAsync(CancellationToken cancellationToken = default)
    {
        var list = new List<TenantResponse>();
        foreach (var tenant in await directory.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(await ToResponseAsync(tenant, cancellationToken).ConfigureAwait(false));
        }

        return list;
    }

    public async Task<TenantResponse?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        await directory.FindAsync(id, cancellationToken).ConfigureAwait(false) is { } tenant ? await ToResponseAsync(tenant, cancellationToken).ConfigureAwait(false) : null;

    /// <summary>Creates a tenant (quotas not given: <c>IoTix:Tenancy:DefaultQuotas</c>) and, with an e-mail and password, its first Owner.</summary>
    public async Task<TenantChange> CreateAsync(TenantRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new FieldErrors();
        if (request.Id is null || !TenantId().IsMatch(request.Id))
        {
            errors.Add("id", "must be 2 to 64 lower-case letters, digits or '-', starting with a letter");
        }

        CheckQuotas(request, errors);
        if (string.IsNullOrEmpty(request.OwnerEmail) != string.IsNullOrEmpty(request.OwnerPassword))
        {
            errors.Add("ownerEmail", "ownerEmail and ownerPassword go together");
        }

        if (errors.Any)
        {
            return new TenantChange(TenantChangeCode.Invalid, null, errors);
        }

        var tenant = new TenantRecord
        {
            Id = request.Id!,
            Name = string.IsNullOrWhiteSpace(request.Name) ? request.Id! : request.Name.Trim(),
            MaxDevices = request.MaxDevices,
            MaxGroups = request.MaxGroups,
            MaxMessagesPerSecond = request.MaxMessagesPerSecond,
            HistoryRetentionDays = request.HistoryRetentionDays,
        };
        if (!await directory.TryAddAsync(tenant, cancellationToken).ConfigureAwait(false))
        {
            return new TenantChange(TenantChangeCode.Conflict, null, errors, $"tenant '{tenant.Id}' already exists");
        }

        var response = await ToResponseAsync(tenant, cancellationToken).ConfigureAwait(false);
        if (request.OwnerEmail is { Length: > 0 } email)
        {
            var owner = new IoTixUser { UserName = email.Trim(), Email = email.Trim(), EmailConfirmed = true, TenantId = tenant.Id, Role = TenantRoles.Owner, CreatedAt = time.GetUtcNow().UtcDateTime };
            var created = await users.CreateAsync(owner, request.OwnerPassword!).ConfigureAwait(false);
            if (!created.Succeeded)
            {
                foreach (var error in created.Errors)
                {
                    errors.Add(error.Code.Contains("Password", StringComparison.Ordinal) ? "ownerPassword" : "ownerEmail", error.Description);
                }

                return new TenantChange(TenantChangeCode.OwnerNotCreated, response, errors, $"tenant '{tenant.Id}' was created, its owner was not: {errors.Summary()}");
            }
        }

        return new TenantChange(TenantChangeCode.Ok, response, errors);
    }

    /// <summary>Replaces a tenant's name (when given) and quotas (null: the default).</summary>
    public async Task<TenantChange> UpdateAsync(string id, TenantRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new FieldErrors();
        CheckQuotas(request, errors);
        if (errors.Any)
        {
            return new TenantChange(TenantChangeCode.Invalid, null, errors);
        }

        var before = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        var updated = before is null ? null : await directory.UpdateAsync(id, t =>
        {
            t.Name = string.IsNullOrWhiteSpace(request.Name) ? t.Name : request.Name.Trim();
            t.MaxDevices = request.MaxDevices;
            t.MaxGroups = request.MaxGroups;
            t.MaxMessagesPerSecond = request.MaxMessagesPerSecond;
            t.HistoryRetentionDays = request.HistoryRetentionDays;
        }, cancellationToken).ConfigureAwait(false);
        return updated is null
            ? new TenantChange(TenantChangeCode.NotFound, null, errors, $"tenant '{id}' not found")
            : new TenantChange(TenantChangeCode.Ok, await ToResponseAsync(updated, cancellationToken).ConfigureAwait(false), errors, Before: before);
    }

    /// <summary>"maxGroups 20 -> 30, name A -> B": what an update changed, for the audit log.</summary>
    public static string Describe(TenantResponse before, TenantResponse after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var changes = new List<string>();
        foreach (var (field, was, now) in (ReadOnlySpan<(string, object, object)>)[
            ("name", before.Name, after.Name), ("maxDevices", before.MaxDevices, after.MaxDevices), ("maxGroups", before.MaxGroups, after.MaxGroups),
            ("maxMessagesPerSecond", before.MaxMessagesPerSecond, after.MaxMessagesPerSecond), ("historyRetentionDays", before.HistoryRetentionDays, after.HistoryRetentionDays)])
        {
            if (!Equals(was, now))
            {
                changes.Add($"{field} {was} -> {now}");
            }
        }

        return changes.Count == 0 ? "no change" : string.Join(", ", changes);
    }

    private static void CheckQuotas(TenantRequest body, FieldErrors errors)
    {
        foreach (var (field, value) in (ReadOnlySpan<(string, int?)>)[("maxDevices", body.MaxDevices), ("maxGroups", body.MaxGroups), ("maxMessagesPerSecond", body.MaxMessagesPerSecond), ("historyRetentionDays", body.HistoryRetentionDays)])
        {
            if (value is < 1)
            {
                errors.Add(field, $"must be at least 1 (was {value})");
            }
        }
    }

    private async Task<TenantResponse> ToResponseAsync(TenantRecord tenant, CancellationToken cancellationToken)
    {
        var q = await directory.QuotasAsync(tenant.Id, cancellationToken).ConfigureAwait(false);
        return new TenantResponse(tenant.Id, tenant.Name, q.MaxDevices, q.MaxGroups, q.MaxMessagesPerSecond, q.HistoryRetentionDays, new DateTimeOffset(DateTime.SpecifyKind(tenant.CreatedAt, DateTimeKind.Utc)));
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{1,63}$")]
    private static partial Regex TenantId();
}
