using System.Globalization;
using IoTix.Core.Models;
using Microsoft.Extensions.Options;

namespace IoTix.Core.Protocols;

/// <summary>Which rule chose an endpoint.</summary>
public enum EndpointSource
{
    /// <summary>The run's or group's override (<see cref="DeviceConnectionContext.EndpointOverride"/>).</summary>
    Override,

    /// <summary><c>MQTT_BROKER_HOST</c>/<c>MQTT_BROKER_PORT</c> or <c>IoTix:Simulation:BrokerHost</c>/<c>BrokerPort</c>.</summary>
    Configuration,

    /// <summary>The model's <c>connection.broker</c>/<c>connection.port</c> (or the defaults).</summary>
    Model,
}

/// <summary>A resolved broker address: host (after aliases), port, and the rule that chose it.</summary>
public readonly record struct BrokerEndpoint(string Host, int Port, EndpointSource Source)
{
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>
/// Decides where a device connects: a run's or group's override first; else the configured broker
/// (<c>MQTT_BROKER_HOST</c>/<c>MQTT_BROKER_PORT</c>, which replace the models' address as the seed
/// README's configuration table says); else the model's own address (default <c>localhost</c>, port
/// 1883, or 8883 with TLS). The chosen host then passes through <see cref="EndpointOptions.HostAliases"/>
/// (<c>mqtt-broker</c> -> <c>127.0.0.1</c> by default), so seed models reach the hosted broker out of the box.
/// </summary>
public sealed class EndpointResolver
{
    public const string DefaultHost = "localhost";

    public const int DefaultMqttPort = 1883;

    public const int DefaultMqttTlsPort = 8883;

    private readonly EndpointOptions _options;

    public EndpointResolver(IOptions<EndpointOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
    }

    /// <summary>Resolves the MQTT broker of <paramref name="model"/>; fails (as a value) on a malformed override or alias.</summary>
    public bool TryResolve(DeviceModel model, string? endpointOverride, out BrokerEndpoint endpoint, out string? error)
    {
        ArgumentNullException.ThrowIfNull(model);
        bool tls = model.Connection.Tls is { Enabled: true };
        int modelPort = model.Connection.Port ?? (tls ? DefaultMqttTlsPort : DefaultMqttPort);
        string host;
        int port;
        EndpointSource source;
        if (!string.IsNullOrWhiteSpace(endpointOverride))
        {
            if (!TryParseAddress(endpointOverride, out host, out var overridePort, out var parseError))
            {
                endpoint = default;
                error = $"endpoint override '{endpointOverride}': {parseError}";
                return false;
            }

            port = overridePort ?? modelPort;
            source = EndpointSource.Override;
        }
        else if (_options.BrokerHost is not null || _options.BrokerPort is not null)
        {
            host = _options.BrokerHost ?? model.Connection.Broker ?? DefaultHost;
            port = _options.BrokerPort ?? modelPort;
            source = EndpointSource.Configuration;
        }
        else
        {
            host = string.IsNullOrWhiteSpace(model.Connection.Broker) ? DefaultHost : model.Connection.Broker;
            port = modelPort;
            source = EndpointSource.Model;
        }

        if (_options.HostAliases.TryGetValue(host, out var alias) && !string.IsNullOrEmpty(alias))
        {
            if (!TryParseAddress(alias, out var aliasHost, out var aliasPort, out var aliasError))
            {
                endpoint = default;
                error = $"{EndpointOptions.SectionName}:HostAliases:{host} '{alias}': {aliasError}";
                return false;
            }

            host = aliasHost;
            port = aliasPort ?? port;
        }

        endpoint = new BrokerEndpoint(host, port, source);
        error = null;
        return true;
    }

    /// <summary>Parses <c>host</c>, <c>host:port</c>, <c>[v6]</c> or <c>[v6]:port</c>.</summary>
    public static bool TryParseAddress(string text, out string host, out int? port, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim();
        host = string.Empty;
        port = null;
        string? portText = null;
        if (s.StartsWith('['))
        {
            int close = s.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = "unclosed '[' in an IPv6 address";
                return false;
            }

            host = s[1..close];
            if (close + 1 < s.Length)
            {
                if (s[close + 1] != ':')
                {
                    error = "expected ':' after ']'";
                    return false;
                }

                portText = s[(close + 2)..];
            }
        }
        else
        {
            int colon = s.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0 && s.IndexOf(':', colon + 1) >= 0)
            {
                host = s; // a bare IPv6 address
            }
            else if (colon >= 0)
            {
                host = s[..colon];
                portText = s[(colon + 1)..];
            }
            else
            {
                host = s;
            }
        }

        if (host.Length == 0)
        {
            error = "host is empty";
            return false;
        }

        if (portText is not null)
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p is < 1 or > 65535)
            {
                error = $"port must be 1..65535 (was '{portText}')";
                return false;
            }

            port = p;
        }

        error = null;
        return true;
    }
}
