using IoTix.Core.Protocols;

namespace IoTix.Core.Devices;

/// <summary>
/// A request to create a group of devices from a model (the seed README's group body: modelId,
/// count, groupId, idPattern).
/// </summary>
/// <remarks>
/// Device indexes are 0-based: <c>temp-sensor-{index}</c> makes <c>temp-sensor-0</c> ...
/// <c>temp-sensor-4999</c> for 5000 devices (the engine's <c>index</c> is the position in the group,
/// as the generator contract's <c>GeneratorContext.Index</c> documents). Patterns accept
/// <c>{index}</c> and <c>${index}</c>, <c>${groupId}</c>; the default is <c>${groupId}-${index}</c>.
/// </remarks>
public sealed class DeviceGroupSpec
{
    public required string ModelId { get; init; }

    /// <summary>Number of devices (at least 1).</summary>
    public int Count { get; init; } = 1;

    /// <summary>Group id; default <c>{modelId}-group-{n}</c>.</summary>
    public string? GroupId { get; init; }

    /// <summary>Device id pattern; default <c>${groupId}-${index}</c>.</summary>
    public string? IdPattern { get; init; }

    /// <summary>Where the group's devices connect instead of the model's address: <c>host</c> or <c>host:port</c> (optional).</summary>
    public string? EndpointOverride { get; init; }

    /// <summary>
    /// The user name and password the group's devices connect with instead of their model's
    /// <c>connection.credentials</c> (optional; the host decides when, e.g. for its own broker). Encoded once and
    /// shared by the group's devices; devices added to the group later get them unless they have an endpoint override
    /// of their own (see <see cref="DeviceSpec.CredentialsOverride"/>).
    /// </summary>
    public ConnectionCredentials? CredentialsOverride { get; init; }

    /// <summary>
    /// Index of the first device (default 0). With <see cref="IndexStride"/> this engine hosts one slice of a
    /// larger group: device <c>k</c> (0-based in this engine) has index <c>IndexStart + k * IndexStride</c>, and its
    /// id, generators and patterns see that global index. <c>run --shard K/N</c> uses start <c>K-1</c>, stride <c>N</c>.
    /// </summary>
    public int IndexStart { get; init; }

    /// <summary>Distance between the indexes of consecutive devices (default 1, at least 1); see <see cref="IndexStart"/>.</summary>
    public int IndexStride { get; init; } = 1;

    /// <summary>
    /// The namespace the group lives in (e.g. <c>tenants/acme/</c>; default none). See <see cref="DeviceNamespace"/>:
    /// the engine keys the group and its devices as namespace + id, and the devices' MQTT client ids and topics carry
    /// the namespace in front. <see cref="GroupId"/> and <see cref="IdPattern"/> are the ids inside the namespace.
    /// </summary>
    public string? Namespace { get; init; }
}

/// <summary>
/// A request to create one device (<see cref="SimulationEngine.CreateDevice(Models.DeviceModel, DeviceSpec)"/>):
/// outside any group, or added to an existing group.
/// </summary>
public sealed class DeviceSpec
{
    /// <summary>The device id; default <c>{modelId}-{n}</c>, or the group's id pattern at the group's next index.</summary>
    public string? DeviceId { get; init; }

    /// <summary>An existing group to add the device to (same model); it starts, stops and is deleted with the group.</summary>
    public string? GroupId { get; init; }

    /// <summary>Where the device connects instead of the model's address (<c>host</c> or <c>host:port</c>); default the group's override, if any.</summary>
    public string? EndpointOverride { get; init; }

    /// <summary>
    /// The user name and password the device connects with instead of its model's <c>connection.credentials</c>
    /// (optional). Default: the group's <see cref="DeviceGroupSpec.CredentialsOverride"/> when the device is added to a
    /// group and connects where the group does (no <see cref="EndpointOverride"/> of its own), else none.
    /// </summary>
    public ConnectionCredentials? CredentialsOverride { get; init; }

    /// <summary>
    /// The namespace the device lives in (default none; see <see cref="DeviceNamespace"/>). <see cref="DeviceId"/> and
    /// <see cref="GroupId"/> are ids inside it: the group looked up is namespace + <see cref="GroupId"/>.
    /// </summary>
    public string? Namespace { get; init; }
}
