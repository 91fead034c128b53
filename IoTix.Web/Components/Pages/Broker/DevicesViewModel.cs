using IoTix.Web.Accounts;
using IoTix.Web.Audit;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IoTix.Broker.Methods;
using IoTix.Broker.Shadows;
using IoTix.Web.Devices;
using IoTix.Web.Tenancy;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>
/// The Devices page: the registry with connection status, one device's shadow (desired, reported, delta, version)
/// with an editor for the desired section, and direct method calls. Every outcome is a sentence in
/// <see cref="Message"/> or <see cref="MethodResult"/>; conflicts say which version won. The page shows the signed-in
/// user's tenant: bare ids, mapped to the tenant's namespace for the broker (<see cref="TenantKeys"/>).
/// </summary>
public sealed class DevicesViewModel(IDeviceRegistry registry, IShadowService shadows, IDirectMethods methods, ITenantContext tenant, ConsoleAudit? audit = null)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private IReadOnlyList<RegisteredDevice> _devices = [];

    public bool Loading { get; private set; }

    public string Search { get; set; } = "";

    /// <summary>Outcome of the last action (register, save desired, delete); null when none.</summary>
    public PageMessage? Message { get; private set; }

    public IReadOnlyList<RegisteredDevice> All => _devices;

    public int OnlineCount { get; private set; }

    /// <summary>Devices whose id, name, client id or a tag contain <see cref="Search"/>.</summary>
    public IReadOnlyList<RegisteredDevice> Visible
    {
        get
        {
            var search = Search.Trim();
            if (search.Length == 0)
            {
                return _devices;
            }

            var result = new List<RegisteredDevice>();
            foreach (var device in _devices)
            {
                if (device.DeviceId.Contains(search, StringComparison.OrdinalIgnoreCase)
                    || device.ClientId.Contains(search, StringComparison.OrdinalIgnoreCase)
                    || (device.Name?.Contains(search, StringComparison.OrdinalIgnoreCase) ?? false)
                    || device.Tags.Any(t => t.Contains(search, StringComparison.OrdinalIgnoreCase)))
                {
                    result.Add(device);
                }
            }

            return result;
        }
    }

    // ---- registration form
    public string NewDeviceId { get; set; } = "";

    public string NewClientId { get; set; } = "";

    public string NewTags { get; set; } = "";

    // ---- the selected device's shadow
    public string? SelectedId { get; private set; }

    /// <summary>The selected thing's broker key (<c>tenants/{t}/{id}</c> for a tenant), as <see cref="IShadowService.Changed"/> names it.</summary>
    public string? SelectedKey => SelectedId is { } id ? TenantKeys.KeyOf(tenant.TenantId, id) : null;

    public ShadowDocument? Shadow { get; private set; }

    /// <summary>The desired section being edited (JSON text).</summary>
    public string DesiredText { get; set; } = "{}";

    /// <summary>The version <see cref="DesiredText"/> was loaded from: saving fails when the shadow moved on meanwhile.</summary>
    public long EditedVersion { get; private set; }

    // ---- direct methods
    public string MethodName { get; set; } = "";

    public string MethodPayload { get; set; } = "{}";

    public double MethodTimeoutSeconds { get; set; } = 10;

    public bool Invoking { get; private set; }

    public MethodOutcome? MethodResult { get; private set; }

    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        Loading = true;
        try
        {
            var devices = await registry.ListAsync(tenant.TenantId, cancellationToken).ConfigureAwait(false);
            if (devices is null)
            {
                Message = new PageMessage(false, "The database is unavailable: the registry cannot be read right now.");
                return;
            }

            _devices = devices;
            OnlineCount = devices.Count(d => d.Status.Online);
        }
        finally
        {
            Loading = false;
        }
    }

    public async Task RegisterAsync(CancellationToken cancellationToken = default)
    {
        var id = NewDeviceId.Trim();
        if (await audit.PermissionRefusalAsync(Permissions.ShadowsWrite, "device.register", id, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            Message = new PageMessage(false, refused);
            return;
        }

        if (!IoTix.Broker.Devices.DeviceTopics.IsValidName(id))
        {
            Message = new PageMessage(false, "The device id must be 1 to 128 characters without '/', '+' or '#' (it is a topic level).");
            return;
        }

        var tags = NewTags.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var clientId = NewClientId.Trim();
        var result = await registry.CreateAsync(tenant.TenantId, new DeviceRegistration(id, clientId.Length == 0 ? id : clientId, null, new Dictionary<string, string>(), tags), cancellationToken).ConfigureAwait(false);
        Message = new PageMessage(result.Succeeded, result.Succeeded ? $"Device {id} registered." : Sentence(result.Message));
        if (result.Succeeded)
        {
            NewDeviceId = NewClientId = NewTags = "";
            await LoadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Shows a device's shadow and loads its desired section into the editor.</summary>
    public async Task SelectAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        SelectedId = deviceId;
        MethodResult = null;
        Message = null;
        await ReloadShadowAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task ReloadShadowAsync(CancellationToken cancellationToken = default)
    {
        if (SelectedKey is not { } key)
        {
            return;
        }

        Shadow = await shadows.GetAsync(key, cancellationToken).ConfigureAwait(false);
        DesiredText = Shadow?.Desired is { } desired ? Pretty(desired) : "{}";
        EditedVersion = Shadow?.Version ?? 0;
    }

    /// <summary>Refreshes the shadow view without touching the editor (live updates while someone edits).</summary>
    public async Task RefreshShadowAsync(CancellationToken cancellationToken = default)
    {
        if (SelectedKey is { } key)
        {
            Shadow = await shadows.GetAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Replaces the desired section with <see cref="DesiredText"/>, only if the shadow is still at <see cref="EditedVersion"/>.</summary>
    public async Task SaveDesiredAsync(CancellationToken cancellationToken = default)
    {
        if (SelectedKey is not { } key)
        {
            return;
        }

        if (await audit.PermissionRefusalAsync(Permissions.ShadowsWrite, "shadow.desired.update", SelectedId!, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            Message = new PageMessage(false, refused);
            return;
        }

        JsonObject? desired;
        try
        {
            desired = JsonNode.Parse(DesiredText) as JsonObject;
        }
        catch (JsonException exception)
        {
            Message = new PageMessage(false, $"The desired state is not valid JSON: {exception.Message}");
            return;
        }

        if (desired is null)
        {
            Message = new PageMessage(false, "The desired state must be a JSON object, e.g. {\"position\": 50}.");
            return;
        }

        var result = await shadows.UpdateAsync(key, new ShadowUpdate { Desired = desired, ReplaceDesired = true, ExpectedVersion = EditedVersion }, cancellationToken).ConfigureAwait(false);
        await audit.AuditAsync("shadow.desired.update", SelectedId!, result.Succeeded ? null : result.Message.Replace(key, SelectedId, StringComparison.Ordinal), result.Succeeded ? $"version {result.Document!.Version}, desired {desired.ToJsonString()}" : null, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            Message = new PageMessage(true, $"Desired state saved: the shadow is at version {result.Document!.Version}" + (result.Document.Delta is null ? "; the device already reports it." : "; the device was sent the delta."));
            Shadow = result.Document;
            EditedVersion = result.Document.Version;
        }
        else if (result.Error == ShadowError.VersionConflict)
        {
            var current = await shadows.GetAsync(key, cancellationToken).ConfigureAwait(false);
            Shadow = current;
            Message = new PageMessage(false, $"Not saved: the shadow changed while you edited it (you edited version {EditedVersion}, it is at version {current?.Version ?? 0} now). Reload the desired state, then apply your change again.");
        }
        else
        {
            Message = new PageMessage(false, $"Not saved: {Sentence(result.Message.Replace(key, SelectedId, StringComparison.Ordinal))}");
        }
    }

    public async Task InvokeAsync(CancellationToken cancellationToken = default)
    {
        if (SelectedId is not { } id)
        {
            return;
        }

        var method = MethodName.Trim();
        if (await audit.PermissionRefusalAsync(Permissions.ShadowsWrite, "method.invoke", $"{id}/{method}", cancellationToken).ConfigureAwait(false) is { } refused)
        {
            MethodResult = new MethodOutcome(false, refused, null, null);
            return;
        }

        if (!IoTix.Broker.Devices.DeviceTopics.IsValidName(method))
        {
            MethodResult = new MethodOutcome(false, "Name the method: 1 to 128 characters without '/', '+' or '#'.", null, null);
            return;
        }

        byte[] payload;
        try
        {
            payload = MethodPayload.Trim().Length == 0 ? [] : Encoding.UTF8.GetBytes(JsonNode.Parse(MethodPayload)?.ToJsonString() ?? "null");
        }
        catch (JsonException exception)
        {
            MethodResult = new MethodOutcome(false, $"The payload is not valid JSON: {exception.Message}", null, null);
            return;
        }

        if (MethodTimeoutSeconds is <= 0 or > 300)
        {
            MethodResult = new MethodOutcome(false, "The timeout must be more than 0 and at most 300 seconds.", null, null);
            return;
        }

        var device = _devices.FirstOrDefault(d => d.DeviceId == id);
        Invoking = true;
        try
        {
            var key = TenantKeys.KeyOf(tenant.TenantId, id);
            var clientKey = TenantKeys.KeyOf(tenant.TenantId, device?.ClientId ?? id);
            var result = await methods.InvokeAsync(new DirectMethodRequest(key, clientKey, method, payload, TimeSpan.FromSeconds(MethodTimeoutSeconds)), cancellationToken).ConfigureAwait(false);
            await audit.AuditAsync("method.invoke", $"{id}/{method}", result.Outcome == DirectMethodOutcome.Completed ? null : result.Message.Replace(clientKey, device?.ClientId ?? id, StringComparison.Ordinal).Replace(key, id, StringComparison.Ordinal), result.Outcome == DirectMethodOutcome.Completed ? $"status {result.Status}" : null, cancellationToken).ConfigureAwait(false);
            MethodResult = result.Outcome == DirectMethodOutcome.Completed
                ? new MethodOutcome(result.Status is >= 200 and < 300, $"Answered with status {result.Status} in {result.Elapsed.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms.", result.Status, PrettyPayload(result.Payload))
                : new MethodOutcome(false, Sentence(result.Message.Replace(clientKey, device?.ClientId ?? id, StringComparison.Ordinal).Replace(key, id, StringComparison.Ordinal)), null, null);
        }
        finally
        {
            Invoking = false;
        }
    }

    public static string Pretty(JsonElement element) => JsonSerializer.Serialize(element, Indented);

    private static string? PrettyPayload(byte[] payload)
    {
        if (payload.Length == 0)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(payload);
            return Pretty(document.RootElement);
        }
        catch (JsonException)
        {
            return Encoding.UTF8.GetString(payload);
        }
    }

    private static string Sentence(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..] + (text.EndsWith('.') ? "" : ".");
}

/// <summary>A page's outcome in words.</summary>
public sealed record PageMessage(bool Succeeded, string Text);

/// <summary>A direct method's outcome: the sentence, and with an answer its status and (pretty) payload.</summary>
public sealed record MethodOutcome(bool Succeeded, string Text, int? Status, string? Payload);
