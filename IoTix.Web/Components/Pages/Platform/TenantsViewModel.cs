using IoTix.Web.Audit;
using IoTix.Web.Simulations;
using IoTix.Web.Tenancy;

namespace IoTix.Web.Components.Pages.Platform;

/// <summary>A tenant with what it uses now in the shared engine.</summary>
public sealed record TenantRow(TenantResponse Tenant, int Groups, int Devices);

/// <summary>
/// The Tenants page's state (platform administrators): every tenant with its effective quotas and its usage (groups and
/// devices in the engine), create with a first Owner, edit name and quotas. Changes go through
/// <see cref="TenantAdministration"/> (the service of <c>/api/v1/tenants</c>) and are audited as
/// <c>console.tenant.create</c> / <c>console.tenant.update</c> (before -> after).
/// </summary>
internal sealed class TenantsViewModel(IServiceScopeFactory scopes, SimulationOrchestrator simulations, ConsoleAudit audit)
{
    public IReadOnlyList<TenantRow> Tenants { get; private set; } = [];

    /// <summary>The form: a new tenant, or the one being edited (<see cref="EditingId"/>).</summary>
    public TenantRequest Form { get; private set; } = new();

    /// <summary>The tenant being edited; null while the form creates one.</summary>
    public string? EditingId { get; private set; }

    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var rows = new List<TenantRow>();
        foreach (var tenant in await scope.ServiceProvider.GetRequiredService<TenantAdministration>().ListAsync(cancellationToken))
        {
            using (TenantScope.Enter(tenant.Id))
            {
                rows.Add(new TenantRow(tenant, simulations.ListGroups().Count, simulations.GetStats().DeviceCount));
            }
        }

        Tenants = rows;
    }

    public void New()
    {
        EditingId = null;
        Form = new TenantRequest();
    }

    public void Edit(TenantResponse tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        EditingId = tenant.Id;
        Form = new TenantRequest
        {
            Id = tenant.Id,
            Name = tenant.Name,
            MaxDevices = tenant.MaxDevices,
            MaxGroups = tenant.MaxGroups,
            MaxMessagesPerSecond = tenant.MaxMessagesPerSecond,
            HistoryRetentionDays = tenant.HistoryRetentionDays,
        };
    }

    /// <summary>Creates the form's tenant or saves the edited one; null when done, else every reason in words.</summary>
    public async Task<string?> SaveAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var administration = scope.ServiceProvider.GetRequiredService<TenantAdministration>();
        var id = EditingId ?? Form.Id?.Trim() ?? "";
        var change = EditingId is null
            ? await administration.CreateAsync(Form, cancellationToken)
            : await administration.UpdateAsync(EditingId, Form, cancellationToken);
        var error = change.Succeeded ? null : change.Message ?? change.Errors.Summary();
        var details = change.Succeeded
            ? change.Before is { } before ? TenantAdministration.Describe(before, change.Tenant!) : $"created; owner {(string.IsNullOrEmpty(Form.OwnerEmail) ? "none" : Form.OwnerEmail)}"
            : null;
        await audit.RecordAsync(EditingId is null ? "tenant.create" : "tenant.update", id, error, details, cancellationToken);
        if (change.Code is TenantChangeCode.Ok or TenantChangeCode.OwnerNotCreated)
        {
            New();
            await LoadAsync(cancellationToken);
        }

        return error;
    }
}
