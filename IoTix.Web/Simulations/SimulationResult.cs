using IoTix.Core.Devices;

namespace IoTix.Web.Simulations;

/// <summary>
/// An expected failure of a simulation request, as a value: the engine's error code, a message, and the request
/// fields it concerns (field name or JSON path -> messages) so the API can name them.
/// </summary>
public sealed record SimulationError(EngineErrorCode Code, string Message, IReadOnlyDictionary<string, string[]>? Errors = null)
{
    /// <summary>Request fields the engine's messages start with ("batchSize must be at least 1").</summary>
    private static readonly string[] KnownFields =
    [
        "modelId", "deviceId", "groupId", "count", "idPattern", "strategy", "delayMs", "batchSize", "maxDelayMs",
        "exponentBase", "percentage", "durationMs", "reconnect", "reconnectDelayMs",
    ];

    /// <summary>An error about one field.</summary>
    public static SimulationError ForField(EngineErrorCode code, string field, string message) =>
        new(code, message, new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] });

    /// <summary>
    /// An engine error, attributed to the field its message starts with, else to <paramref name="fallbackField"/>
    /// (when given).
    /// </summary>
    public static SimulationError FromEngine(EngineError error, string? fallbackField = null)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (LeadingField(error.Message) is { } leading)
        {
            // "batchSize must be at least 1" -> batchSize: "must be at least 1"; "idPattern: ..." -> idPattern: "...".
            var rest = error.Message[leading.Length..].TrimStart(':', ' ');
            var message = leading == "idPattern" && error.Message.StartsWith("device id ", StringComparison.Ordinal) ? error.Message : rest;
            return new SimulationError(error.Code, error.Message, new Dictionary<string, string[]>(StringComparer.Ordinal) { [leading] = [message] });
        }

        return fallbackField is null ? new SimulationError(error.Code, error.Message) : ForField(error.Code, fallbackField, error.Message);
    }

    private static string? LeadingField(string message)
    {
        foreach (var field in KnownFields)
        {
            if (message.StartsWith(field, StringComparison.Ordinal)
                && message.Length > field.Length
                && message[field.Length] is ' ' or ':')
            {
                return field;
            }
        }

        return message.StartsWith("device id ", StringComparison.Ordinal) ? "idPattern" : null;
    }

    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>The outcome of a simulation request: a value or a <see cref="SimulationError"/>.</summary>
public readonly struct SimulationResult<T>
{
    private SimulationResult(T? value, SimulationError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public SimulationError? Error { get; }

    public bool Succeeded => Error is null;

    public static SimulationResult<T> Ok(T value) => new(value, null);

    public static implicit operator SimulationResult<T>(SimulationError error) => new(default, error);

    public override string ToString() => Succeeded ? $"ok: {Value}" : Error!.ToString();
}
