using IoTix.Broker.Security;

namespace IoTix.Broker.Devices;

/// <summary>
/// The topic layout of device shadows and direct methods, modelled on AWS IoT Device Shadow
/// (<c>$aws/things/{thing}/shadow/...</c>) under the <c>$iotix</c> prefix. Topics starting with <c>$</c> are not
/// matched by wildcard filters at the first level [MQTT-4.7.2-1], so a <c>#</c> subscriber never sees them by accident.
/// <para>
/// Every method takes a thing <em>key</em>: the thing name for the default namespace (<c>$iotix/things/{thing}/...</c>),
/// or <c>tenants/{t}/{thing}</c> for a tenant's thing, whose topics live in the tenant's namespace
/// (<c>tenants/{t}/$iotix/things/{thing}/...</c>, see <see cref="TenantTopics"/>).
/// </para>
/// </summary>
public static class DeviceTopics
{
    /// <summary>Prefix of every device service topic of the default namespace.</summary>
    public const string ThingsPrefix = "$iotix/things/";

    /// <summary>Longest tenant id a thing key may name (the tenants' ids are at most 64 characters).</summary>
    public const int MaxTenantLength = 64;

    /// <summary><c>$iotix/things/{thing}</c> or <c>tenants/{t}/$iotix/things/{thing}</c>: the root of a thing's topics.</summary>
    public static string Thing(string thingKey)
    {
        ArgumentNullException.ThrowIfNull(thingKey);
        return TrySplitKey(thingKey, out var tenant, out var thing)
            ? string.Concat(TenantTopics.Root, tenant, "/" + ThingsPrefix, thing)
            : ThingsPrefix + thingKey;
    }

    /// <summary><c>{thing root}/shadow</c>: the root of a thing's shadow topics.</summary>
    public static string Shadow(string thingKey) => Thing(thingKey) + "/shadow";

    /// <summary>The topic a client publishes a shadow update to.</summary>
    public static string ShadowUpdate(string thingKey) => Shadow(thingKey) + "/update";

    /// <summary>The topic the broker publishes the delta (desired differing from reported) on.</summary>
    public static string ShadowDelta(string thingKey) => Shadow(thingKey) + "/update/delta";

    /// <summary>The topic a client publishes to for the whole document (answer on <c>/get/accepted</c>).</summary>
    public static string ShadowGet(string thingKey) => Shadow(thingKey) + "/get";

    /// <summary>The topic a client publishes to for deleting the shadow.</summary>
    public static string ShadowDelete(string thingKey) => Shadow(thingKey) + "/delete";

    /// <summary><c>{thing root}/methods/{method}</c>: where a direct method request is published.</summary>
    public static string MethodRequest(string thingKey, string method) => Thing(thingKey) + "/methods/" + method;

    /// <summary>The Response Topic a direct method request carries: its request topic plus <c>/response</c>.</summary>
    public static string MethodResponse(string thingKey, string method) => MethodRequest(thingKey, method) + "/response";

    /// <summary>The key of <paramref name="thingName"/> in <paramref name="tenant"/>'s namespace: <c>tenants/{t}/{thing}</c>.</summary>
    public static string TenantKey(string tenant, string thingName) => TenantTopics.PrefixOf(tenant) + thingName;

    /// <summary>True when <paramref name="name"/> can be a thing or method name: 1..128 characters, no '/', '+', '#' or control characters.</summary>
    public static bool IsValidName(string? name) => name is not null && IsValidName(name.AsSpan());

    /// <summary>True when <paramref name="key"/> is a valid thing name or <c>tenants/{t}/{thing}</c> with a valid tenant and thing name.</summary>
    public static bool IsValidKey(string? key) =>
        key is not null && (IsValidName(key.AsSpan()) || (TrySplitKey(key, out var tenant, out var thing) && IsValidName(tenant) && tenant.Length <= MaxTenantLength && IsValidName(thing)));

    /// <summary>Splits a tenant's thing key <c>tenants/{t}/{thing}</c>; false for a default-namespace key.</summary>
    public static bool TrySplitKey(string key, out ReadOnlySpan<char> tenant, out ReadOnlySpan<char> thing)
    {
        ArgumentNullException.ThrowIfNull(key);
        tenant = default;
        thing = default;
        if (!key.StartsWith(TenantTopics.Root, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = key.AsSpan(TenantTopics.Root.Length);
        int slash = rest.IndexOf('/');
        if (slash <= 0 || slash == rest.Length - 1)
        {
            return false;
        }

        tenant = rest[..slash];
        thing = rest[(slash + 1)..];
        return true;
    }

    private static bool IsValidName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > 128)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (c is '/' or '+' or '#' || char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Splits a device service topic: the thing key and the rest after the thing (e.g. <c>shadow/update</c>). Accepts
    /// <c>$iotix/things/{thing}/...</c> (key <c>{thing}</c>) and <c>tenants/{t}/$iotix/things/{thing}/...</c> (key
    /// <c>tenants/{t}/{thing}</c>). The first character decides cheaply; only a device service topic allocates (the key).
    /// </summary>
    internal static bool TryParse(string topic, out string thingKey, out ReadOnlySpan<char> rest)
    {
        thingKey = string.Empty;
        rest = default;
        if (topic.Length == 0 || (topic[0] != '$' && topic[0] != 't'))
        {
            return false;
        }

        var span = topic.AsSpan();
        int thingStart;
        if (span.StartsWith(ThingsPrefix, StringComparison.Ordinal))
        {
            thingStart = ThingsPrefix.Length;
        }
        else if (span.StartsWith(TenantTopics.Root, StringComparison.Ordinal))
        {
            var afterRoot = span[TenantTopics.Root.Length..];
            int tenantEnd = afterRoot.IndexOf('/');
            if (tenantEnd <= 0 || !afterRoot[(tenantEnd + 1)..].StartsWith(ThingsPrefix, StringComparison.Ordinal))
            {
                return false;
            }

            thingStart = TenantTopics.Root.Length + tenantEnd + 1 + ThingsPrefix.Length;
        }
        else
        {
            return false;
        }

        var tail = span[thingStart..];
        int slash = tail.IndexOf('/');
        if (slash <= 0)
        {
            return false;
        }

        if (thingStart == ThingsPrefix.Length)
        {
            thingKey = tail[..slash].ToString();
        }
        else
        {
            // tenants/{t}/ + {thing}: the topic without the "$iotix/things/" in between.
            int prefixLength = thingStart - ThingsPrefix.Length;
            thingKey = string.Concat(span[..prefixLength], tail[..slash]);
        }

        rest = tail[(slash + 1)..];
        return true;
    }
}
