using Microsoft.Extensions.Options;

namespace IoTix.Core.Protocols.Http;

/// <summary>Settings of the HTTP adapter, bound from <c>IoTix:Simulation:Http</c>.</summary>
public sealed class HttpOptions
{
    public const string SectionName = "IoTix:Simulation:Http";

    /// <summary>Connections per server in the shared pool (default 256).</summary>
    public int MaxConnectionsPerServer { get; set; } = 256;

    /// <summary>A pooled connection is replaced after this long, so DNS changes and load balancers are followed (default 300 s).</summary>
    public int PooledConnectionLifetimeSeconds { get; set; } = 300;

    /// <summary>An idle pooled connection is closed after this long (default 60 s).</summary>
    public int PooledConnectionIdleTimeoutSeconds { get; set; } = 60;

    /// <summary>TCP/TLS connect timeout (default 5000 ms).</summary>
    public int ConnectTimeoutMs { get; set; } = 5_000;

    /// <summary>Whole-request timeout; a timed-out request counts as failed (default 10000 ms).</summary>
    public int RequestTimeoutMs { get; set; } = 10_000;

    /// <summary>Requests in flight over all devices (default 512). Past it messages wait in their device's outbound queue (bounded by <c>IoTix:Simulation:OutboundQueueLimit</c>, overflow per <c>OutboundOverflow</c>).</summary>
    public int MaxInFlightRequests { get; set; } = 512;

    /// <summary>Poll each command's URL this often (GET; a 200 with a body is a command); 0 (default) turns polling off.</summary>
    public int CommandPollIntervalMs { get; set; }

    /// <summary>Command URL path (on the telemetry URL's server) when a command has no <c>topic</c>; <c>${command}</c> is the command name (default <c>commands/${deviceId}/${command}</c>).</summary>
    public string DefaultCommandPath { get; set; } = "commands/${deviceId}/${command}";

    /// <summary>Accept any server certificate (self-signed test endpoints only; default false).</summary>
    public bool AllowUntrustedCertificates { get; set; }
}

/// <summary>Checks <see cref="HttpOptions"/> at start-up; messages name the configuration key.</summary>
internal sealed class HttpOptionsValidator : IValidateOptions<HttpOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpOptions options)
    {
        List<string>? failures = null;
        void Fail(string message) => (failures ??= []).Add($"{HttpOptions.SectionName}:{message}");

        if (options.MaxConnectionsPerServer is < 1 or > 100_000)
        {
            Fail($"MaxConnectionsPerServer must be 1..100000 (was {options.MaxConnectionsPerServer}).");
        }

        if (options.PooledConnectionLifetimeSeconds is < 1 or > 86_400)
        {
            Fail($"PooledConnectionLifetimeSeconds must be 1..86400 seconds (was {options.PooledConnectionLifetimeSeconds}).");
        }

        if (options.PooledConnectionIdleTimeoutSeconds is < 1 or > 86_400)
        {
            Fail($"PooledConnectionIdleTimeoutSeconds must be 1..86400 seconds (was {options.PooledConnectionIdleTimeoutSeconds}).");
        }

        if (options.ConnectTimeoutMs is < 1 or > 600_000)
        {
            Fail($"ConnectTimeoutMs must be 1..600000 milliseconds (was {options.ConnectTimeoutMs}).");
        }

        if (options.RequestTimeoutMs is < 1 or > 600_000)
        {
            Fail($"RequestTimeoutMs must be 1..600000 milliseconds (was {options.RequestTimeoutMs}).");
        }

        if (options.MaxInFlightRequests is < 1 or > 1_000_000)
        {
            Fail($"MaxInFlightRequests must be 1..1000000 (was {options.MaxInFlightRequests}).");
        }

        if (options.CommandPollIntervalMs is < 0 or > 86_400_000)
        {
            Fail($"CommandPollIntervalMs must be 0 (off) or up to 86400000 milliseconds (was {options.CommandPollIntervalMs}).");
        }

        if (string.IsNullOrWhiteSpace(options.DefaultCommandPath) || !Models.ModelTemplate.TryParse(options.DefaultCommandPath, out _, out _))
        {
            Fail($"DefaultCommandPath must be a non-empty path pattern such as commands/${{deviceId}}/${{command}} (was '{options.DefaultCommandPath}').");
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
