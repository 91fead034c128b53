namespace IoTix.Broker.Server;

/// <summary>
/// Client ids under which the broker publishes messages itself (history replay, dead-letter re-publish). They start
/// with '$' so no device naming scheme collides; the ACL does not apply to them unless a client with that id is
/// connected (then it is that client publishing and the ACL applies as usual).
/// </summary>
public static class InternalPublisher
{
    /// <summary>Sender of replayed history; replayed messages are not captured into history again.</summary>
    public const string ReplayClientId = "$iotix-replay";

    /// <summary>Sender of re-published dead letters.</summary>
    public const string DeadLetterClientId = "$iotix-dead-letters";

    public static bool IsReplay(string? clientId) => string.Equals(clientId, ReplayClientId, StringComparison.Ordinal);

    public static bool IsInternal(string? clientId) => IsReplay(clientId) || string.Equals(clientId, DeadLetterClientId, StringComparison.Ordinal);
}
