namespace IoTix.Core.Protocols.Http;

/// <summary>HTTP adapter counters (a snapshot), beyond <see cref="ProtocolAdapterMetrics"/>.</summary>
/// <param name="Requests">Telemetry requests sent.</param>
/// <param name="Succeeded">Requests answered with a 2xx status.</param>
/// <param name="Failed">Requests answered with another status, timed out or failed in transport.</param>
/// <param name="Timeouts">Requests that hit <c>RequestTimeoutMs</c>.</param>
/// <param name="TransportErrors">Requests that failed before a status arrived (refused, reset, TLS ...).</param>
/// <param name="InFlight">Requests in flight now.</param>
/// <param name="StatusCodes">Responses by status code.</param>
/// <param name="CommandPolls">Command poll requests sent.</param>
public readonly record struct HttpAdapterMetrics(
    long Requests,
    long Succeeded,
    long Failed,
    long Timeouts,
    long TransportErrors,
    int InFlight,
    IReadOnlyDictionary<int, long> StatusCodes,
    long CommandPolls);
