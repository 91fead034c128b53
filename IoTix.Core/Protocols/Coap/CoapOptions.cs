using Microsoft.Extensions.Options;

namespace IoTix.Core.Protocols.Coap;

/// <summary>Settings of the CoAP adapter, bound from <c>IoTix:Simulation:Coap</c>.</summary>
public sealed class CoapOptions
{
    public const string SectionName = "IoTix:Simulation:Coap";

    /// <summary>ACK_TIMEOUT in milliseconds (default 2000) [RFC 7252 4.8].</summary>
    public int AckTimeoutMs { get; set; } = 2000;

    /// <summary>ACK_RANDOM_FACTOR (default 1.5): the first timeout is random in [AckTimeout, AckTimeout x factor].</summary>
    public double AckRandomFactor { get; set; } = 1.5;

    /// <summary>MAX_RETRANSMIT (default 4): a Confirmable message is sent at most 1 + this many times.</summary>
    public int MaxRetransmit { get; set; } = 4;

    /// <summary>Devices sharing one UDP socket (default 256). Message ids are per socket, so this bounds the Confirmable rate per socket before ids repeat within EXCHANGE_LIFETIME.</summary>
    public int DevicesPerSocket { get; set; } = 256;

    /// <summary>Most UDP sockets the adapter opens (default 4096); past it devices share the least loaded socket.</summary>
    public int MaxSockets { get; set; } = 4096;

    /// <summary>Largest telemetry payload sent (default 1024, RFC 7252 4.6); larger ones are rejected (no block-wise transfer).</summary>
    public int MaxPayloadBytes { get; set; } = 1024;

    /// <summary>Connect sends a CoAP ping (Empty Confirmable, answered by Reset) and fails when unanswered (default true).</summary>
    public bool PingOnConnect { get; set; } = true;

    /// <summary>How long to wait for a separate response after an empty ACK (default 30000 ms).</summary>
    public int ResponseTimeoutMs { get; set; } = 30_000;

    /// <summary>Default command resource when a command has no <c>topic</c>; <c>${command}</c> is the command name (default <c>commands/${deviceId}/${command}</c>).</summary>
    public string DefaultCommandPath { get; set; } = "commands/${deviceId}/${command}";

    /// <summary>Observe commands (default true). Off: devices only send telemetry.</summary>
    public bool ObserveCommands { get; set; } = true;

    /// <summary>Wait before retrying a failed or refused observe registration (default 30000 ms).</summary>
    public int ObserveRetryMs { get; set; } = 30_000;

    /// <summary>Added to a notification's Max-Age before the observation counts as lost and is re-registered (default 5000 ms) [RFC 7641 3.3.1].</summary>
    public int ObserveMarginMs { get; set; } = 5_000;

    /// <summary>Received Confirmable message ids remembered per socket for duplicate detection (default 1024) [RFC 7252 4.5].</summary>
    public int DuplicateCacheSize { get; set; } = 1024;

    /// <summary>Consecutive timed-out Confirmable messages after which the device reports its connection lost (default 0 = never; the engine then drops the device).</summary>
    public int ConnectionLostAfterTimeouts { get; set; }

    /// <summary>Requested socket receive buffer in bytes (default 1 MiB; the kernel may cap it).</summary>
    public int SocketReceiveBufferBytes { get; set; } = 1 << 20;

    /// <summary>Requested socket send buffer in bytes (default 1 MiB; the kernel may cap it).</summary>
    public int SocketSendBufferBytes { get; set; } = 1 << 20;
}

/// <summary>Checks <see cref="CoapOptions"/> at start-up; messages name the configuration key.</summary>
internal sealed class CoapOptionsValidator : IValidateOptions<CoapOptions>
{
    public ValidateOptionsResult Validate(string? name, CoapOptions options)
    {
        List<string>? failures = null;
        void Fail(string message) => (failures ??= []).Add($"{CoapOptions.SectionName}:{message}");

        if (options.AckTimeoutMs is < 1 or > 600_000)
        {
            Fail($"AckTimeoutMs must be 1..600000 milliseconds (was {options.AckTimeoutMs}).");
        }

        if (!(options.AckRandomFactor >= 1.0 && options.AckRandomFactor <= 10.0))
        {
            Fail($"AckRandomFactor must be 1.0..10.0 (was {options.AckRandomFactor}).");
        }

        if (options.MaxRetransmit is < 0 or > 20)
        {
            Fail($"MaxRetransmit must be 0..20 (was {options.MaxRetransmit}).");
        }

        if (options.DevicesPerSocket is < 1 or > 65_536)
        {
            Fail($"DevicesPerSocket must be 1..65536 (was {options.DevicesPerSocket}).");
        }

        if (options.MaxSockets is < 1 or > 16_384)
        {
            Fail($"MaxSockets must be 1..16384 (was {options.MaxSockets}).");
        }

        if (options.MaxPayloadBytes is < 1 or > 65_000)
        {
            Fail($"MaxPayloadBytes must be 1..65000 bytes (was {options.MaxPayloadBytes}).");
        }

        if (options.ResponseTimeoutMs is < 1 or > 3_600_000)
        {
            Fail($"ResponseTimeoutMs must be 1..3600000 milliseconds (was {options.ResponseTimeoutMs}).");
        }

        if (string.IsNullOrWhiteSpace(options.DefaultCommandPath) || !Models.ModelTemplate.TryParse(options.DefaultCommandPath, out _, out _))
        {
            Fail($"DefaultCommandPath must be a non-empty path pattern such as commands/${{deviceId}}/${{command}} (was '{options.DefaultCommandPath}').");
        }

        if (options.ObserveRetryMs is < 1 or > 3_600_000)
        {
            Fail($"ObserveRetryMs must be 1..3600000 milliseconds (was {options.ObserveRetryMs}).");
        }

        if (options.ObserveMarginMs is < 0 or > 3_600_000)
        {
            Fail($"ObserveMarginMs must be 0..3600000 milliseconds (was {options.ObserveMarginMs}).");
        }

        if (options.DuplicateCacheSize is < 16 or > 1_000_000)
        {
            Fail($"DuplicateCacheSize must be 16..1000000 (was {options.DuplicateCacheSize}).");
        }

        if (options.ConnectionLostAfterTimeouts < 0)
        {
            Fail($"ConnectionLostAfterTimeouts must be 0 (never) or more (was {options.ConnectionLostAfterTimeouts}).");
        }

        if (options.SocketReceiveBufferBytes < 0 || options.SocketSendBufferBytes < 0)
        {
            Fail("SocketReceiveBufferBytes and SocketSendBufferBytes must be 0 (system default) or more.");
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
