using System.Text.Json;

namespace IoTix.Core.Models;

/// <summary>A command the device accepts (a topic it subscribes to, or a CoAP/HTTP resource).</summary>
public sealed class CommandDefinition
{
    public required string Name { get; init; }

    /// <summary>Topic pattern the device listens on, e.g. <c>gateways/${deviceId}/commands/reboot</c>.</summary>
    public string? Topic { get; init; }

    public IReadOnlyList<CommandParameter> Parameters { get; init; } = [];
}

public sealed class CommandParameter
{
    public required string Name { get; init; }

    public TelemetryDataType Type { get; init; } = TelemetryDataType.String;

    public bool Required { get; init; }

    public JsonElement? Default { get; init; }
}
