using System.Net;
using IoTix.Broker.DeadLetters;
using IoTix.Broker.Limits;
using IoTix.Broker.Observability;
using IoTix.Broker.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet.Adapter;
using MQTTnet.Packets;
using MQTTnet.Server;

namespace IoTix.Broker.Listeners;

/// <summary>What every listener does with a new connection before MQTTnet: rate limit, then wrap.</summary>
internal sealed partial class ConnectionGate
{
    private readonly ConnectionRateLimiter _rateLimiter;
    private readonly BrokerMetrics _metrics;
    private readonly SharedSubscriptionRegistry _shared;
    private readonly MessageExpiry _expiry;
    private readonly BrokerTrace _trace;
    private readonly DeadLetterRecorder _deadLetters;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ConnectionGate> _logger;
    private readonly PayloadLimit _limit;
    private readonly PersistentSessions _persistent;
    private readonly uint _serverKeepAliveSeconds;

    public ConnectionGate(ConnectionRateLimiter rateLimiter, BrokerMetrics metrics, SharedSubscriptionRegistry shared, MessageExpiry expiry, BrokerTrace trace, PayloadLimit limit, PersistentSessions persistent, DeadLetterRecorder deadLetters, TimeProvider timeProvider, IOptions<BrokerOptions> options, ILogger<ConnectionGate> logger)
    {
        _rateLimiter = rateLimiter;
        _metrics = metrics;
        _shared = shared;
        _expiry = expiry;
        _trace = trace;
        _deadLetters = deadLetters;
        _timeProvider = timeProvider;
        _logger = logger;
        _limit = limit;
        _persistent = persistent;
        _serverKeepAliveSeconds = options.Value.ServerKeepAliveSeconds;
    }

    /// <summary>False when the connection must be closed (too many waiting from that IP).</summary>
    public async Task<bool> AdmitAsync(string listener, IPAddress address, CancellationToken cancellationToken)
    {
        var decision = _rateLimiter.Acquire(address);
        if (!decision.Accepted)
        {
            _metrics.ForListener(listener).Rejected();
            LogRateLimited(_logger, listener, address.ToString());
            return false;
        }

        if (decision.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(decision.Delay, _timeProvider, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _rateLimiter.Release(address);
            }
        }

        return true;
    }

    /// <summary>Runs before a successful CONNACK of a client with an id is sent (set by the server: session restore).</summary>
    public Func<string, MqttConnAckPacket, Task<RestoredSubscriptionIdentifiers?>>? ConnAckHook { get; set; }

    /// <summary>Finds the MQTTnet session of a connected client (set by the server when it starts).</summary>
    public Func<string, MqttSessionStatus?>? SessionLookup { get; set; }

    /// <summary>The payload and packet limits in force, read by every connection for each packet.</summary>
    public PayloadLimit Limit => _limit;

    /// <summary>Wraps a connection; <paramref name="channel"/> is the broker's own TCP/TLS channel under <paramref name="inner"/>, if any.</summary>
    public BrokerChannelAdapter Wrap(string listener, IMqttChannelAdapter inner, BrokerTcpChannel? channel = null, bool ownsInner = true) =>
        new(inner, channel, _metrics.ForListener(listener), new BrokerConnectionContext(listener), _limit, _serverKeepAliveSeconds, _shared, _expiry, _trace, _deadLetters, _persistent.IsEnabled ? _persistent : null, ConnAckHook, SessionLookup, ownsInner);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "Connection on {Listener} from {Address} closed: connection rate limit exceeded and backoff queue full")]
    private static partial void LogRateLimited(ILogger logger, string listener, string address);
}
