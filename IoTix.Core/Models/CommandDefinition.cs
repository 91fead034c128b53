using System.Text.Json;

namespace IoTix.Core.Models;

/// <summary>A command the device accepts (a topic it subscribes to, or a CoAP/HTTP resource).</summary>
public sealed class CommandDefinition
{
    public required string Name { get; init; }

    /// <summary>Topic pattern the device listens on, e.g. <c>gateways/${deviceId}/commands/reboot</c>.</summary>
    public string? Topic { get; init; }

    public IReadOnlyList<CommandParameter> Parameters { get; init; } = [];

    /// <summary>
    /// The answer to a request that carries an MQTT 5 Response Topic (a direct method): published to that topic with
    /// the request's Correlation Data after the command's behaviours ran. Null: the device does not answer.
    /// </summary>
    public CommandResponse? Response { get; init; }
}

/// <summary>A command's answer: a status (sent as the <c>status</c> user property) and a payload template.</summary>
public sealed class CommandResponse
{
    /// <summary>The status of the answer, HTTP-like (200 = success).</summary>
    public int Status { get; init; } = 200;

    /// <summary>Payload template, as a publish action's: strings may use <c>${telemetry}</c>, <c>${state}</c> and the command's <c>${parameters}</c>.</summary>
    public JsonElement? Payload { get; init; }
}

public sealed class CommandParameter
{
    public required string Name { get; init; }

    public TelemetryDataType Type { get; init; } = TelemetryDataType.String;

    public bool Required { get; init; }

    public JsonElement? Default { get; init; }
}
