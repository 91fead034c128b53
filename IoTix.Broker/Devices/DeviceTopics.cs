namespace IoTix.Broker.Devices;

/// <summary>
/// The topic layout of device shadows and direct methods, modelled on AWS IoT Device Shadow
/// (<c>$aws/things/{thing}/shadow/...</c>) under the <c>$iotix</c> prefix. Topics starting with <c>$</c> are not
/// matched by wildcard filters at the first level [MQTT-4.7.2-1], so a <c>#</c> subscriber never sees them by accident.
/// </summary>
public static class DeviceTopics
{
    /// <summary>Prefix of every device service topic.</summary>
    public const string ThingsPrefix = "$iotix/things/";

    /// <summary><c>$iotix/things/{thing}/shadow</c>: the root of a thing's shadow topics.</summary>
    public static string Shadow(string thingName) => ThingsPrefix + thingName + "/shadow";

    /// <summary>The topic a client publishes a shadow update to.</summary>
    public static string ShadowUpdate(string thingName) => Shadow(thingName) + "/update";

    /// <summary>The topic the broker publishes the delta (desired differing from reported) on.</summary>
    public static string ShadowDelta(string thingName) => Shadow(thingName) + "/update/delta";

    /// <summary>The topic a client publishes to for the whole document (answer on <c>/get/accepted</c>).</summary>
    public static string ShadowGet(string thingName) => Shadow(thingName) + "/get";

    /// <summary>The topic a client publishes to for deleting the shadow.</summary>
    public static string ShadowDelete(string thingName) => Shadow(thingName) + "/delete";

    /// <summary><c>$iotix/things/{thing}/methods/{method}</c>: where a direct method request is published.</summary>
    public static string MethodRequest(string thingName, string method) => ThingsPrefix + thingName + "/methods/" + method;

    /// <summary>The Response Topic a direct method request carries: its request topic plus <c>/response</c>.</summary>
    public static string MethodResponse(string thingName, string method) => MethodRequest(thingName, method) + "/response";

    /// <summary>True when <paramref name="name"/> can be a thing or method name: 1..128 characters, no '/', '+', '#' or control characters.</summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 128)
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

    /// <summary>Splits a device service topic: the thing name and the rest after it (e.g. <c>shadow/update</c>).</summary>
    internal static bool TryParse(string topic, out string thingName, out ReadOnlySpan<char> rest)
    {
        thingName = string.Empty;
        rest = default;
        if (!topic.StartsWith(ThingsPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var tail = topic.AsSpan(ThingsPrefix.Length);
        int slash = tail.IndexOf('/');
        if (slash <= 0)
        {
            return false;
        }

        thingName = tail[..slash].ToString();
        rest = tail[(slash + 1)..];
        return true;
    }
}
