namespace IoTix.Core.Devices;

/// <summary>
/// Namespaces of the engine: a prefix (e.g. <c>tenants/acme/</c>) that lets several owners share one engine without
/// seeing each other's ids or topics. The empty namespace (the default) changes nothing.
/// </summary>
/// <remarks>
/// A device or group created with a namespace is keyed in the engine as namespace + id, so equal ids of two
/// namespaces coexist; every public method that takes a group or device id takes that key (the ids in the engine's
/// answers are keys too). The device's MQTT client id is namespace + device id (or namespace + the model's rendered
/// <c>clientIdPattern</c>), and every MQTT topic it publishes or subscribes (telemetry, command subscriptions, shadow
/// topics, behaviour publishes, last will) is namespace + the model's rendered topic; a request's Response Topic is
/// used as given when it lies inside the namespace and is put inside it otherwise. Templates (<c>${deviceId}</c>,
/// <c>${groupId}</c>) and payloads see the ids inside the namespace. CoAP and HTTP paths are not MQTT topics and stay
/// as the model renders them.
/// </remarks>
public static class DeviceNamespace
{
    /// <summary>The engine key of <paramref name="id"/> in <paramref name="ns"/>: namespace + id (the id itself for no namespace).</summary>
    public static string Key(string? ns, string id) => string.IsNullOrEmpty(ns) ? id : string.Concat(ns, id);

    /// <summary>The id inside <paramref name="ns"/> of an engine key; false when the key is not in that namespace.</summary>
    public static bool TryLocal(string? ns, string key, out string local)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (string.IsNullOrEmpty(ns))
        {
            local = key;
            return true;
        }

        if (key.Length > ns.Length && key.StartsWith(ns, StringComparison.Ordinal))
        {
            local = key[ns.Length..];
            return true;
        }

        local = key;
        return false;
    }

    /// <summary>A topic confined to <paramref name="ns"/>: the topic when it already lies inside, else namespace + topic.</summary>
    public static string Confine(string ns, string topic) =>
        ns.Length == 0 || topic.StartsWith(ns, StringComparison.Ordinal) ? topic : string.Concat(ns, topic);
}
