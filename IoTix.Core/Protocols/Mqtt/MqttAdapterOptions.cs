using System.Net;
using Microsoft.Extensions.Options;

namespace IoTix.Core.Protocols.Mqtt;

/// <summary>Settings of the MQTT protocol adapter (section <c>IoTix:Simulation:Mqtt</c>).</summary>
public sealed class MqttAdapterOptions
{
    public const string SectionName = "IoTix:Simulation:Mqtt";

    /// <summary>
    /// Local (source) addresses connections bind to, in rotation by device index, e.g.
    /// <c>["127.0.0.2","127.0.0.3"]</c>: one source address has about 28,000 ephemeral ports, so
    /// larger runs spread over several. Empty (default): the operating system chooses.
    /// </summary>
    public List<string> LocalAddresses { get; set; } = [];

    /// <summary>TCP connect + TLS handshake + CONNACK (+ SUBACK) deadline in ms (default 10000).</summary>
    public int ConnectTimeoutMs { get; set; } = 10_000;

    /// <summary>How long a graceful disconnect waits for queued messages and DISCONNECT to be written, in ms (default 2000), after the drain.</summary>
    public int DisconnectTimeoutMs { get; set; } = 2_000;

    /// <summary>
    /// How long a graceful disconnect waits for outstanding PUBACK/PUBCOMP before writing DISCONNECT, in ms (default 2000;
    /// 0 = do not wait). Messages still unacknowledged then count as <see cref="PublishFailureCounts.Unacknowledged"/>.
    /// </summary>
    public int DisconnectDrainMs { get; set; } = 2_000;

    /// <summary>QoS 1/2 messages sent but not yet acknowledged, per connection (default 32); further ones wait in the outbound queue. The broker's Receive Maximum lowers it [MQTT-3.3.4-7].</summary>
    public int InflightWindow { get; set; } = 32;

    /// <summary>Largest packet a device accepts (announced as MQTT 5 Maximum Packet Size; default 1 MiB).</summary>
    public int MaxIncomingPacketSize { get; set; } = 1024 * 1024;

    /// <summary>Receive buffer rented when data arrives (grows on demand for larger packets; none is held while idle); default 512 bytes.</summary>
    public int ReceiveBufferSize { get; set; } = 512;

    /// <summary>Most bytes written to a socket in one send (queued packets are batched up to it); default 65536.</summary>
    public int MaxWriteBatchBytes { get; set; } = 64 * 1024;

    /// <summary>QoS of the command topic subscriptions (default 1: a persistent session keeps commands sent while offline).</summary>
    public int CommandQos { get; set; } = 1;

    /// <summary>MQTT 5 Session Expiry Interval in seconds for devices with <c>cleanSession: false</c> (default 3600).</summary>
    public int SessionExpirySeconds { get; set; } = 3600;

    /// <summary>MQTT 5 Message Expiry Interval of telemetry in seconds (default unset: messages do not expire).</summary>
    public int? MessageExpirySeconds { get; set; }

    /// <summary>MQTT 5: send Content Type (<c>application/json</c> for JSON payloads, <c>application/octet-stream</c> for binary) and the payload format indicator (default true).</summary>
    public bool SendContentType { get; set; } = true;

    /// <summary>MQTT 5 user properties added to every telemetry message (default none).</summary>
    public Dictionary<string, string> UserProperties { get; set; } = [];

    /// <summary>Seconds a resolved broker host name is cached (default 60).</summary>
    public int DnsCacheSeconds { get; set; } = 60;

    /// <summary>Reconnecting after an unexpected connection loss.</summary>
    public MqttReconnectOptions Reconnect { get; set; } = new();
}

/// <summary>Reconnect policy after an unexpected loss: exponential backoff with jitter, seeded from the device id.</summary>
public sealed class MqttReconnectOptions
{
    /// <summary>Reconnect after an unexpected loss (default true); false leaves the device dropped.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Delay before the first attempt, in ms (default 1000).</summary>
    public int InitialDelayMs { get; set; } = 1_000;

    /// <summary>Cap of one delay, in ms (default 60000).</summary>
    public int MaxDelayMs { get; set; } = 60_000;

    /// <summary>Growth factor of successive delays (default 2, at least 1).</summary>
    public double Multiplier { get; set; } = 2.0;

    /// <summary>Fraction of each delay drawn at random, 0..1 (default 0.5: a delay d becomes d/2 + uniform(0, d/2)).</summary>
    public double Jitter { get; set; } = 0.5;

    /// <summary>Attempts before the device fails (default 0: unlimited).</summary>
    public int MaxAttempts { get; set; }

    /// <summary>Attempts of a device's first connect, transient failures retried with the same backoff (default 3; 1 = no retry).</summary>
    public int FirstConnectAttempts { get; set; } = 3;
}

/// <summary>Checks <see cref="MqttAdapterOptions"/> at start-up; messages name the key.</summary>
internal sealed class MqttAdapterOptionsValidator : IValidateOptions<MqttAdapterOptions>
{
    public ValidateOptionsResult Validate(string? name, MqttAdapterOptions options)
    {
        List<string>? failures = null;
        void Fail(string message) => (failures ??= []).Add($"{MqttAdapterOptions.SectionName}:{message}");

        for (int i = 0; i < options.LocalAddresses.Count; i++)
        {
            if (!IPAddress.TryParse(options.LocalAddresses[i], out _))
            {
                Fail($"LocalAddresses:{i} must be an IP address such as 127.0.0.2 (was '{options.LocalAddresses[i]}').");
            }
        }

        Range(options.ConnectTimeoutMs, 100, 600_000, "ConnectTimeoutMs");
        Range(options.DisconnectTimeoutMs, 0, 600_000, "DisconnectTimeoutMs");
        Range(options.DisconnectDrainMs, 0, 600_000, "DisconnectDrainMs");
        Range(options.InflightWindow, 1, 65_535, "InflightWindow");
        Range(options.MaxIncomingPacketSize, 64, MqttPacketWriter.MaxRemainingLength, "MaxIncomingPacketSize");
        Range(options.ReceiveBufferSize, 64, 1024 * 1024, "ReceiveBufferSize");
        Range(options.MaxWriteBatchBytes, 512, 16 * 1024 * 1024, "MaxWriteBatchBytes");
        Range(options.CommandQos, 0, 2, "CommandQos");
        if (options.SessionExpirySeconds < 0)
        {
            Fail($"SessionExpirySeconds must be 0 or more (was {options.SessionExpirySeconds}).");
        }

        if (options.MessageExpirySeconds is < 1)
        {
            Fail($"MessageExpirySeconds must be at least 1 when set (was {options.MessageExpirySeconds}).");
        }

        Range(options.DnsCacheSeconds, 0, 86_400, "DnsCacheSeconds");
        var r = options.Reconnect;
        Range(r.InitialDelayMs, 0, 3_600_000, "Reconnect:InitialDelayMs");
        Range(r.MaxDelayMs, 1, 3_600_000, "Reconnect:MaxDelayMs");
        if (r.MaxDelayMs < r.InitialDelayMs)
        {
            Fail($"Reconnect:MaxDelayMs ({r.MaxDelayMs}) must not be below Reconnect:InitialDelayMs ({r.InitialDelayMs}).");
        }

        if (!(r.Multiplier >= 1 && r.Multiplier <= 100))
        {
            Fail($"Reconnect:Multiplier must be 1..100 (was {r.Multiplier}).");
        }

        if (!(r.Jitter >= 0 && r.Jitter <= 1))
        {
            Fail($"Reconnect:Jitter must be 0..1 (was {r.Jitter}).");
        }

        if (r.FirstConnectAttempts < 1)
        {
            Fail($"Reconnect:FirstConnectAttempts must be 1 or more (was {r.FirstConnectAttempts}).");
        }

        if (r.MaxAttempts < 0)
        {
            Fail($"Reconnect:MaxAttempts must be 0 (unlimited) or more (was {r.MaxAttempts}).");
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Range(int value, int min, int max, string key)
        {
            if (value < min || value > max)
            {
                Fail($"{key} must be {min}..{max} (was {value}).");
            }
        }
    }
}
