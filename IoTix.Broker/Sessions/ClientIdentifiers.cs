namespace IoTix.Broker.Sessions;

/// <summary>Server-assigned client identifiers for clients that connect with an empty one.</summary>
public static class ClientIdentifiers
{
    /// <summary>The prefix of every assigned id, so they are recognisable in logs and the console.</summary>
    public const string AssignedPrefix = "iotix-";

    /// <summary>A fresh id of 23 characters or fewer, the length every server must accept [MQTT-3.1.3-5].</summary>
    public static string Assign() => AssignedPrefix + Guid.NewGuid().ToString("N")[..16];
}
