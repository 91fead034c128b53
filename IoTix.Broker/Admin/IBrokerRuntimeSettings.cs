namespace IoTix.Broker.Admin;

/// <summary>
/// Broker settings the console may change while the broker runs (FR-014, FR-014a, FR-014b). Start values come from
/// the <c>Broker</c> configuration section. <see cref="BrokerSettingModes"/> says per setting whether a change
/// takes effect at once or at the next start.
/// </summary>
public interface IBrokerRuntimeSettings
{
    /// <summary>The values the broker enforces now.</summary>
    BrokerRuntimeSettingsValues Active { get; }

    /// <summary>The values applied last (equal to <see cref="Active"/> except restart-only settings changed since start).</summary>
    BrokerRuntimeSettingsValues Requested { get; }

    /// <summary>Validates and applies <paramref name="values"/>; on errors nothing changes and each error names the setting.</summary>
    BrokerSettingsApplyResult Apply(BrokerRuntimeSettingsValues values);

    /// <summary>Raised after <see cref="Apply"/> changed something.</summary>
    event Action? Changed;
}

public enum BrokerSettingsApplyMode
{
    Immediately,
    AtRestart,
}

/// <summary>How each runtime setting is applied.</summary>
public static class BrokerSettingModes
{
    /// <summary>Read by every connection for each PUBLISH and fixed header, and for the Maximum Packet Size of each MQTT 5 CONNACK.</summary>
    public const BrokerSettingsApplyMode MaxPayloadBytes = BrokerSettingsApplyMode.Immediately;

    /// <summary>Read by the connection gate for each new connection.</summary>
    public const BrokerSettingsApplyMode ConnectionRate = BrokerSettingsApplyMode.Immediately;

    /// <summary>Read by the connection validation for each CONNECT.</summary>
    public const BrokerSettingsApplyMode DuplicateClientId = BrokerSettingsApplyMode.Immediately;
}

/// <summary>The broker settings editable at run time.</summary>
/// <param name="MaxPayloadBytes">largest PUBLISH payload (<c>Broker:MaxPayloadBytes</c>, 1..268435455)</param>
/// <param name="ConnectionRatePerIpPerSecond">new connections per source IP and second, 0 = off (<c>Broker:ConnectionRateLimit:PerIpPerSecond</c>)</param>
/// <param name="DuplicateClientId">what a CONNECT with the id of a connected client does (<c>Broker:DuplicateClientId</c>)</param>
public sealed record BrokerRuntimeSettingsValues(int MaxPayloadBytes, int ConnectionRatePerIpPerSecond, DuplicateClientIdPolicy DuplicateClientId)
{
    public const int MaxPayloadLimit = 268_435_455;

    public const int MaxConnectionRate = 1_000_000;

    /// <summary>Errors in words, each naming the setting and the allowed values; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxPayloadBytes is < 1 or > MaxPayloadLimit)
        {
            errors.Add($"Payload limit (Broker:MaxPayloadBytes) must be between 1 byte and {MaxPayloadLimit} bytes (256 MB, the MQTT maximum); {MaxPayloadBytes} is not.");
        }

        if (ConnectionRatePerIpPerSecond is < 0 or > MaxConnectionRate)
        {
            errors.Add($"Connection rate limit (Broker:ConnectionRateLimit:PerIpPerSecond) must be 0 (off) to {MaxConnectionRate} connections per second and IP; {ConnectionRatePerIpPerSecond} is not.");
        }

        if (!Enum.IsDefined(DuplicateClientId))
        {
            errors.Add("Duplicate client id policy (Broker:DuplicateClientId) must be takeover or reject.");
        }

        return errors;
    }
}

/// <summary>Outcome of <see cref="IBrokerRuntimeSettings.Apply"/>.</summary>
/// <param name="Errors">validation errors; nothing was applied when not empty</param>
/// <param name="AppliedNow">settings that changed and are enforced from now on</param>
/// <param name="PendingRestart">settings that changed and take effect at the next start</param>
public sealed record BrokerSettingsApplyResult(IReadOnlyList<string> Errors, IReadOnlyList<string> AppliedNow, IReadOnlyList<string> PendingRestart)
{
    public bool Succeeded => Errors.Count == 0;
}
