using IoTix.Broker.Limits;
using Microsoft.Extensions.Options;

namespace IoTix.Broker.Admin;

/// <summary>Holds the runtime values; the rate goes to the limiter at once, the duplicate policy is read per CONNECT.</summary>
internal sealed class BrokerRuntimeSettings : IBrokerRuntimeSettings
{
    private readonly ConnectionRateLimiter _rateLimiter;
    private readonly object _lock = new();
    private readonly int _startPayloadLimit;
    private volatile BrokerRuntimeSettingsValues _requested;
    private volatile BrokerRuntimeSettingsValues _active;

    public BrokerRuntimeSettings(IOptions<BrokerOptions> options, ConnectionRateLimiter rateLimiter)
    {
        var value = options.Value;
        _rateLimiter = rateLimiter;
        _startPayloadLimit = value.MaxPayloadBytes;
        _requested = _active = new BrokerRuntimeSettingsValues(value.MaxPayloadBytes, value.ConnectionRateLimit.PerIpPerSecond, value.DuplicateClientId);
    }

    public BrokerRuntimeSettingsValues Active => _active;

    public BrokerRuntimeSettingsValues Requested => _requested;

    /// <summary>The duplicate client id policy in force (read for each CONNECT).</summary>
    public DuplicateClientIdPolicy DuplicateClientId => _active.DuplicateClientId;

    public event Action? Changed;

    public BrokerSettingsApplyResult Apply(BrokerRuntimeSettingsValues values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var errors = values.Validate();
        if (errors.Count > 0)
        {
            return new BrokerSettingsApplyResult(errors, [], []);
        }

        var now = new List<string>();
        var restart = new List<string>();
        lock (_lock)
        {
            var previous = _requested;
            if (previous.ConnectionRatePerIpPerSecond != values.ConnectionRatePerIpPerSecond)
            {
                _rateLimiter.SetRate(values.ConnectionRatePerIpPerSecond);
                now.Add("connection rate limit");
            }

            if (previous.DuplicateClientId != values.DuplicateClientId)
            {
                now.Add("duplicate client id policy");
            }

            if (previous.MaxPayloadBytes != values.MaxPayloadBytes)
            {
                (values.MaxPayloadBytes == _startPayloadLimit ? now : restart).Add("payload limit");
            }

            _requested = values;
            _active = values with { MaxPayloadBytes = _startPayloadLimit };
        }

        if (now.Count + restart.Count > 0)
        {
            Changed?.Invoke();
        }

        return new BrokerSettingsApplyResult([], now, restart);
    }
}
