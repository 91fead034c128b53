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
}
