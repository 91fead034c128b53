using System.Text.Json;

namespace IoTix.Core.Models;

/// <summary>Where and how a device connects. Patterns may use <c>${deviceId}</c>, <c>${index}</c>, <c>${groupId}</c>.</summary>
public sealed class ConnectionSettings
{
    /// <summary>MQTT broker host name (MQTT devices).</summary>
    public string? Broker { get; init; }

    /// <summary>Endpoint URL pattern (HTTP and CoAP devices), e.g. <c>coap://localhost:5683/devices/${deviceId}</c>.</summary>
    public string? Url { get; init; }

    public int? Port { get; init; }

    /// <summary>MQTT client id; default <c>${deviceId}</c>.</summary>
    public string? ClientIdPattern { get; init; }

    /// <summary>Telemetry topic; default <c>devices/${deviceId}/telemetry</c>.</summary>
    public string? TopicPattern { get; init; }

    /// <summary>MQTT QoS 0, 1 or 2 (default 0).</summary>
    public int Qos { get; init; }

    /// <summary>MQTT keep-alive in seconds (default 60).</summary>
    public int KeepAlive { get; init; } = 60;

    /// <summary>MQTT protocol version: <c>3.1.1</c> or <c>5</c> (default <c>5</c>).</summary>
    public string? MqttVersion { get; init; }

    /// <summary>MQTT clean session / clean start (default true).</summary>
    public bool CleanSession { get; init; } = true;

    /// <summary>HTTP method for HTTP devices (POST or PUT), CoAP method for CoAP devices.</summary>
    public string? Method { get; init; }

    /// <summary>Extra HTTP headers (values may use patterns).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public TlsSettings? Tls { get; init; }

    public CredentialSettings? Credentials { get; init; }

    public LastWillSettings? LastWill { get; init; }

    /// <summary>
    /// MQTT 5 user properties sent on every telemetry PUBLISH (name -> value, in order). Values may use
    /// <c>${deviceId}</c>, <c>${index}</c>, <c>${groupId}</c> and <c>${env:NAME}</c>, resolved once per device.
    /// </summary>
    public IReadOnlyDictionary<string, string>? UserProperties { get; init; }
}

public sealed class TlsSettings
{
    public bool Enabled { get; init; } = true;

    /// <summary>PEM file of the CA that signs the server certificate.</summary>
    public string? CaFile { get; init; }

    /// <summary>PEM client certificate for mutual TLS.</summary>
    public string? CertFile { get; init; }

    /// <summary>PEM private key of the client certificate.</summary>
    public string? KeyFile { get; init; }

    /// <summary>Accept any server certificate (tests only).</summary>
    public bool AllowUntrusted { get; init; }
}

public sealed class CredentialSettings
{
    /// <summary>User name; patterns allowed.</summary>
    public string? Username { get; init; }

    /// <summary>Password; <c>${env:NAME}</c> reads it from the environment so it need not sit in the model.</summary>
    public string? Password { get; init; }

    /// <summary>HTTP bearer token or API key header value.</summary>
    public string? Token { get; init; }
}

public sealed class LastWillSettings
{
    public required string Topic { get; init; }

    public JsonElement? Payload { get; init; }

    public int Qos { get; init; }

    public bool Retain { get; init; }

    /// <summary>MQTT 5 will delay interval in seconds.</summary>
    public int? DelaySeconds { get; init; }
}

public sealed class PayloadSettings
{
    /// <summary><c>json</c> (default): one JSON object per message; <c>binary</c>: a binary telemetry item's raw bytes as the whole message.</summary>
    public PayloadFormat Format { get; init; } = PayloadFormat.Json;

    /// <summary>Add a <c>timestamp</c> field (ISO 8601, UTC) to JSON payloads (default true).</summary>
    public bool IncludeTimestamp { get; init; } = true;

    /// <summary>Add a <c>deviceId</c> field to JSON payloads (default true).</summary>
    public bool IncludeDeviceId { get; init; } = true;
}

[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<PayloadFormat>))]
public enum PayloadFormat
{
    [System.Text.Json.Serialization.JsonStringEnumMemberName("json")] Json,
    [System.Text.Json.Serialization.JsonStringEnumMemberName("binary")] Binary,
}
