using IoTix.Broker.Limits;
using Microsoft.Extensions.Options;

namespace IoTix.Broker.Admin;

/// <summary>
/// Holds the runtime values and applies each at once: the rate goes to the limiter, the payload limit to the
/// <see cref="PayloadLimit"/> every connection reads per packet, the duplicate policy is read per CONNECT.
/// </summary>
internal sealed class BrokerRuntimeSettings : IBrokerRuntimeSettings
{
    private readonly ConnectionRateLimiter _rateLimiter;
    private readonly PayloadLimit _payloadLimit;
    private readonly object _lock = new();
    private volatile BrokerRuntimeSettingsValues _active;

    public BrokerRuntimeSettings(IOptions<BrokerOptions> options, ConnectionRateLimiter rateLimiter, PayloadLimit payloadLimit)
    {
        var value = options.Value;
        _rateLimiter = rateLimiter;
        _payloadLimit = payloadLimit;
        _active = new BrokerRuntimeSettingsValues(payloadLimit.MaxPayloadBytes, value.ConnectionRateLimit.PerIpPerSecond, value.DuplicateClientId);
    }

    public BrokerRuntimeSettingsValues Active => _active;

    public BrokerRuntimeSettingsValues Requested => _active;

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
        lock (_lock)
        {
            var previous = _active;
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
                _payloadLimit.Set(values.MaxPayloadBytes);
                now.Add("payload limit");
            }

            _active = values;
        }

        if (now.Count > 0)
        {
            Changed?.Invoke();
        }

        return new BrokerSettingsApplyResult([], now, []);
    }
}
