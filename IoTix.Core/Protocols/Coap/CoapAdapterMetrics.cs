namespace IoTix.Core.Protocols.Coap;

/// <summary>CoAP adapter counters (a snapshot), beyond <see cref="ProtocolAdapterMetrics"/>.</summary>
/// <param name="Confirmable">Telemetry messages sent as CON (first transmissions).</param>
/// <param name="NonConfirmable">Telemetry messages sent as NON.</param>
/// <param name="Acknowledged">CON telemetry answered with a 2.xx response.</param>
/// <param name="Retransmissions">CON retransmissions (telemetry, pings, observe registrations).</param>
/// <param name="Timeouts">Exchanges given up after MAX_RETRANSMIT or the separate-response timeout.</param>
/// <param name="Resets">CON messages answered with RST (pings excluded).</param>
/// <param name="Responses2xx">Responses of class 2 (success).</param>
/// <param name="Responses4xx">Responses of class 4 (client error); counted as failed messages.</param>
/// <param name="Responses5xx">Responses of class 5 (server error); counted as failed messages.</param>
/// <param name="DuplicatesReceived">Duplicate CON messages from servers (acknowledged again, not processed).</param>
/// <param name="MalformedReceived">Datagrams that were not well-formed CoAP (RST sent when CON).</param>
/// <param name="RejectedResponses">Responses rejected for an unrecognized critical option [RFC 7252 5.4.1].</param>
/// <param name="ObserveRegistrations">Successful observe registrations (including re-registrations).</param>
/// <param name="ObserveReregistrations">Re-registrations after a lost or ended observation.</param>
/// <param name="ObserveFailures">Registrations refused, reset or timed out (retried later).</param>
/// <param name="Notifications">Fresh notifications delivered as commands.</param>
/// <param name="SendErrors">Datagrams the socket refused (buffer full, ICMP unreachable ...).</param>
/// <param name="Sockets">UDP sockets open.</param>
/// <param name="InFlight">Confirmable exchanges waiting for an answer.</param>
public readonly record struct CoapAdapterMetrics(
    long Confirmable,
    long NonConfirmable,
    long Acknowledged,
    long Retransmissions,
    long Timeouts,
    long Resets,
    long Responses2xx,
    long Responses4xx,
    long Responses5xx,
    long DuplicatesReceived,
    long MalformedReceived,
    long RejectedResponses,
    long ObserveRegistrations,
    long ObserveReregistrations,
    long ObserveFailures,
    long Notifications,
    long SendErrors,
    int Sockets,
    int InFlight);
