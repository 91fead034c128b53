using IoTix.Broker.Devices;

namespace IoTix.Web.Tenancy;

/// <summary>
/// The tenant namespace of keys: things, client ids and rules (docs/security.md, "Broker isolation"): inside the broker a thing key
/// or client id is namespace + id, <c>tenants/{t}/{id}</c> for tenant <c>t</c> and the bare <c>{id}</c> for
/// <see cref="Tenants.Default"/>. The API and the console show a tenant its bare ids.
/// </summary>
public static class TenantKeys
{
    /// <summary>The namespace of <paramref name="tenantId"/>: empty for <see cref="Tenants.Default"/>, else <c>tenants/{t}/</c>.</summary>
    public static string PrefixOf(string tenantId)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        return string.Equals(tenantId, Tenants.Default, StringComparison.Ordinal) ? string.Empty : IoTix.Broker.Security.TenantTopics.PrefixOf(tenantId);
    }

    /// <summary>The broker key (or MQTT client id) of <paramref name="id"/> in <paramref name="tenantId"/>'s namespace.</summary>
    public static string KeyOf(string tenantId, string id)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        ArgumentNullException.ThrowIfNull(id);
        return string.Equals(tenantId, Tenants.Default, StringComparison.Ordinal) ? id : DeviceTopics.TenantKey(tenantId, id);
    }

    /// <summary>The id <paramref name="tenantId"/> knows <paramref name="key"/> by: the key without the tenant's prefix.</summary>
    public static string BareId(string tenantId, string key)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        ArgumentNullException.ThrowIfNull(key);
        if (string.Equals(tenantId, Tenants.Default, StringComparison.Ordinal))
        {
            return key;
        }

        var prefix = IoTix.Broker.Security.TenantTopics.PrefixOf(tenantId);
        return key.Length > prefix.Length && key.StartsWith(prefix, StringComparison.Ordinal) ? key[prefix.Length..] : key;
    }

    /// <summary>The namespace a key lies in: the tenant of <c>tenants/{t}/...</c>, else <see cref="Tenants.Default"/>.</summary>
    public static string NamespaceOf(string key) =>
        DeviceTopics.TrySplitKey(key, out var tenant, out _) ? tenant.ToString() : Tenants.Default;
}
