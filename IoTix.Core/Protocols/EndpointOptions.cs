using Microsoft.Extensions.Options;

namespace IoTix.Core.Protocols;

/// <summary>
/// Where simulated devices connect when no run or group override says otherwise (section
/// <c>IoTix:Simulation</c>). <c>MQTT_BROKER_HOST</c> and <c>MQTT_BROKER_PORT</c> (the seed README's
/// variables) set <see cref="BrokerHost"/> and <see cref="BrokerPort"/> and win over the keys.
/// </summary>
public sealed class EndpointOptions
{
    public const string SectionName = "IoTix:Simulation";

    public const string HostEnvironmentVariable = "MQTT_BROKER_HOST";

    public const string PortEnvironmentVariable = "MQTT_BROKER_PORT";

    /// <summary>Broker host replacing every model's <c>connection.broker</c> (unset: the model's own).</summary>
    public string? BrokerHost { get; set; }

    /// <summary>Broker port replacing every model's <c>connection.port</c> (unset: the model's own).</summary>
    public int? BrokerPort { get; set; }

    /// <summary>
    /// Host names mapped to other addresses, <c>host</c> or <c>host:port</c>. Default:
    /// <c>mqtt-broker</c> (the seed models' docker-compose name) -> <c>127.0.0.1</c>, the hosted broker
    /// of <c>dotnet run</c>. An empty value removes an alias.
    /// </summary>
    public Dictionary<string, string> HostAliases { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mqtt-broker"] = "127.0.0.1",
    };
}

/// <summary>Checks <see cref="EndpointOptions"/> at start-up; messages name the key.</summary>
internal sealed class EndpointOptionsValidator : IValidateOptions<EndpointOptions>
{
    public ValidateOptionsResult Validate(string? name, EndpointOptions options)
    {
        List<string>? failures = null;
        void Fail(string message) => (failures ??= []).Add(message);

        if (options.BrokerHost is { } host && host.Trim().Length == 0)
        {
            Fail($"{EndpointOptions.SectionName}:BrokerHost (or {EndpointOptions.HostEnvironmentVariable}) must not be blank.");
        }

        if (options.BrokerPort is < 1 or > 65535)
        {
            Fail($"{EndpointOptions.SectionName}:BrokerPort (or {EndpointOptions.PortEnvironmentVariable}) must be 1..65535 (was {options.BrokerPort}).");
        }

        foreach (var (alias, target) in options.HostAliases)
        {
            if (!string.IsNullOrEmpty(target) && !EndpointResolver.TryParseAddress(target, out _, out _, out var error))
            {
                Fail($"{EndpointOptions.SectionName}:HostAliases:{alias} must be host or host:port (was '{target}': {error}).");
            }
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
