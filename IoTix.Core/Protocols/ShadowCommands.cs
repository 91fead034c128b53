namespace IoTix.Core.Protocols;

/// <summary>
/// Reserved command names under which an adapter delivers a device's shadow messages (a model with <c>shadow</c>):
/// not identifiers, so they never clash with a model's commands. The engine applies them to the device's state.
/// </summary>
public static class ShadowCommands
{
    /// <summary>A message on <c>{topicPrefix}/update/delta</c>: <c>{"state": {desired fields that differ}}</c>.</summary>
    public const string Delta = "$shadow.delta";

    /// <summary>A message on <c>{topicPrefix}/get/accepted</c>: the whole document, whose <c>state.delta</c> is applied.</summary>
    public const string Document = "$shadow.document";
}
