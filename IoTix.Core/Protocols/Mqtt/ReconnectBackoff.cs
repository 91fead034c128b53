using IoTix.Core.Generators;

namespace IoTix.Core.Protocols.Mqtt;

/// <summary>
/// Reconnect delays: exponential backoff capped at <see cref="MqttReconnectOptions.MaxDelayMs"/>,
/// with jitter drawn from a source seeded by the device id, so a replayed run waits the same delays.
/// </summary>
internal static class ReconnectBackoff
{
    /// <summary>Delay before reconnect attempt <paramref name="attempt"/> (1-based).</summary>
    public static long DelayMs(MqttReconnectOptions options, int attempt, ref DeviceRandom random)
    {
        double delay = options.InitialDelayMs * Math.Pow(options.Multiplier, Math.Max(0, attempt - 1));
        if (delay > options.MaxDelayMs || double.IsNaN(delay))
        {
            delay = options.MaxDelayMs;
        }

        double jitter = delay * options.Jitter;
        return (long)(delay - jitter + (jitter * random.NextDouble()));
    }
}
