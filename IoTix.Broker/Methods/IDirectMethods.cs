namespace IoTix.Broker.Methods;

/// <summary>
/// Direct methods (FR-039): a request published to <c>$iotix/things/{thing}/methods/{method}</c> with an MQTT 5
/// Response Topic (<c>.../response</c>) and Correlation Data; the device's answer on the response topic with the same
/// correlation data completes the call. A tenant's thing (key <c>tenants/{t}/{thing}</c>) is called on
/// <c>tenants/{t}/$iotix/things/{thing}/methods/{method}</c>. The answer's status is its <c>status</c> user property (default 200).
/// </summary>
public interface IDirectMethods
{
    /// <summary>
    /// Invokes <paramref name="method"/> on the thing whose MQTT client id is <paramref name="clientId"/>. Never
    /// throws for expected failures: an offline client, a timeout, too many pending calls are outcomes.
    /// </summary>
    Task<DirectMethodResult> InvokeAsync(DirectMethodRequest request, CancellationToken cancellationToken = default);
}

/// <summary>A direct method call on the thing key <see cref="ThingName"/> (<c>{thing}</c> or <c>tenants/{t}/{thing}</c>); <see cref="Timeout"/> null uses <c>Broker:Devices:MethodTimeoutSeconds</c>.</summary>
public sealed record DirectMethodRequest(string ThingName, string ClientId, string Method, ReadOnlyMemory<byte> Payload, TimeSpan? Timeout = null);

public enum DirectMethodOutcome
{
    /// <summary>The device answered.</summary>
    Completed,

    /// <summary>No answer within the timeout.</summary>
    TimedOut,

    /// <summary>The device's client is not connected.</summary>
    Offline,

    /// <summary>The broker is not running.</summary>
    NotRunning,

    /// <summary><c>Broker:Devices:MaxPendingMethods</c> calls are already waiting.</summary>
    Busy,

    /// <summary>The thing or method name cannot be part of a topic.</summary>
    InvalidRequest,
}

/// <summary>The outcome of a call: with <see cref="DirectMethodOutcome.Completed"/>, the device's status and payload.</summary>
public sealed record DirectMethodResult(DirectMethodOutcome Outcome, int Status, byte[] Payload, string? ContentType, TimeSpan Elapsed, string Message);
