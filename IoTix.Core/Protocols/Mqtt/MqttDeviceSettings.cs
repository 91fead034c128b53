using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using IoTix.Core.Models;

namespace IoTix.Core.Protocols.Mqtt;

/// <summary>
/// What a model's devices share, prepared once per model: protocol version, session, keep-alive,
/// credentials (<c>${env:NAME}</c> resolved), last will, TLS material, the encoded MQTT 5 PUBLISH
/// property block and the command topic templates. A problem (a missing certificate file or
/// environment variable) becomes <see cref="Error"/>, reported by every connect of the model.
/// </summary>
internal sealed class MqttDeviceSettings
{
    private static readonly byte[] Empty = [];

    private MqttDeviceSettings()
    {
    }

    public string? Error { get; private init; }

    public bool V5 { get; private init; }

    public bool CleanSession { get; private init; }

    public ushort KeepAliveSeconds { get; private init; }

    public ModelTemplate? Username { get; private init; }

    public byte[]? Password { get; private init; }

    public LastWillSettings? Will { get; private init; }

    public bool Tls { get; private init; }

    public bool AllowUntrusted { get; private init; }

    public X509Certificate2? CaCertificate { get; private init; }

    public string? CaFile { get; private init; }

    public X509Certificate2? ClientCertificate { get; private init; }

    /// <summary>Encoded MQTT 5 PUBLISH properties including the length prefix (empty for 3.1.1); without the model's per-device user properties.</summary>
    public byte[] PublishProperties { get; private init; } = Empty;

    /// <summary>The model's user properties whose values name the device (<c>${deviceId}</c> ...): rendered once per device by <see cref="DevicePublishProperties"/>; null when none does.</summary>
    private UserPropertyTemplate[]? DeviceUserProperties { get; init; }

    /// <summary>The property block without its length prefix, when <see cref="DeviceUserProperties"/> is set.</summary>
    private byte[] PublishPropertiesBody { get; init; } = Empty;

    public ModelTemplate[] CommandTopics { get; private init; } = [];

    public string[] CommandNames { get; private init; } = [];

    public static MqttDeviceSettings Create(DeviceModel model, MqttAdapterOptions options)
    {
        var c = model.Connection;
        var errors = new List<string>();
        bool v5 = c.MqttVersion is null or "5" or "5.0";
        if (!v5 && c.MqttVersion is not ("3.1.1" or "4"))
        {
            errors.Add($"connection.mqttVersion must be 3.1.1 or 5 (was '{c.MqttVersion}')");
        }

        if (c.KeepAlive is < 0 or > ushort.MaxValue)
        {
            errors.Add($"connection.keepAlive must be 0..65535 seconds (was {c.KeepAlive})");
        }

        ModelTemplate? username = null;
        byte[]? password = null;
        if (c.Credentials is { } cred)
        {
            if (cred.Username is { } u && !ModelTemplate.TryParse(u, out username, out var uError))
            {
                errors.Add($"connection.credentials.username: {uError}");
            }

            if (cred.Password is { } p)
            {
                if (TryRenderSecret(p, out var secret, out var pError))
                {
                    password = Encoding.UTF8.GetBytes(secret);
                }
                else
                {
                    errors.Add($"connection.credentials.password: {pError}");
                }
            }

            if (password is not null && username is null && !v5)
            {
                // MQTT 3.1.1 forbids a password without a user name [MQTT-3.1.2-22].
                errors.Add("connection.credentials: MQTT 3.1.1 needs a username when a password is set [MQTT-3.1.2-22]");
            }
        }

        if (c.LastWill is { } will)
        {
            if (will.Qos is < 0 or > 2)
            {
                errors.Add($"connection.lastWill.qos must be 0, 1 or 2 (was {will.Qos})");
            }

            if (!ModelTemplate.TryParse(will.Topic, out _, out var wError))
            {
                errors.Add($"connection.lastWill.topic: {wError}");
            }
        }

        X509Certificate2? ca = null;
        X509Certificate2? client = null;
        bool tls = c.Tls is { Enabled: true };
        string? caPath = null;
        if (tls)
        {
            var t = c.Tls!;
            try
            {
                if (t.CaFile is { } caFile)
                {
                    caPath = Resolve(caFile, model.SourceDirectory);
                    ca = X509Certificate2.CreateFromPem(File.ReadAllText(caPath));
                }

                if (t.CertFile is { } certFile)
                {
                    if (t.KeyFile is null)
                    {
                        errors.Add("connection.tls.keyFile is required with certFile");
                    }
                    else
                    {
                        client = X509Certificate2.CreateFromPemFile(Resolve(certFile, model.SourceDirectory), Resolve(t.KeyFile, model.SourceDirectory));
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                errors.Add($"connection.tls: {ex.Message}");
            }
        }

        // MQTT 5 PUBLISH properties: what every device of the model shares is encoded here once. When a
        // user property names the device, the model's user properties are kept as templates (in their
        // order [MQTT-3.3.2-18]) and encoded once per device.
        var body = new List<byte>();
        var userProperties = new List<UserPropertyTemplate>();
        bool perDevice = false;
        if (v5)
        {
            EncodeSharedPublishProperties(body, model, options);
            foreach (var (key, value) in c.UserProperties ?? EmptyProperties)
            {
                if (!ModelTemplate.TryParse(value, out var template, out var tError))
                {
                    errors.Add($"connection.userProperties.{key}: {tError}");
                    continue;
                }

                foreach (var name in template.Placeholders)
                {
                    if (!name.StartsWith("env:", StringComparison.Ordinal))
                    {
                        perDevice = true;
                    }
                    else if (Environment.GetEnvironmentVariable(name[4..]) is null)
                    {
                        errors.Add($"connection.userProperties.{key}: environment variable {name[4..]} is not set");
                    }
                }

                userProperties.Add(new UserPropertyTemplate(key, template));
            }

            if (!perDevice)
            {
                foreach (var p in userProperties)
                {
                    AddUserProperty(body, p.Name, p.Value.Render(ResolveEnvironment));
                }
            }
        }

        var commandTopics = new List<ModelTemplate>();
        var commandNames = new List<string>();
        foreach (var command in model.Commands)
        {
            if (command.Topic is { } topic)
            {
                if (ModelTemplate.TryParse(topic, out var template, out var tError))
                {
                    commandTopics.Add(template);
                    commandNames.Add(command.Name);
                }
                else
                {
                    errors.Add($"commands '{command.Name}' topic: {tError}");
                }
            }
        }

        if (model.Shadow is { Enabled: true } shadow)
        {
            // The shadow's answers arrive as commands with reserved names (not identifiers, so no model command clashes).
            if (ModelTemplate.TryParse(shadow.TopicPrefix + "/update/delta", out var delta, out var sError)
                && ModelTemplate.TryParse(shadow.TopicPrefix + "/get/accepted", out var got, out sError))
            {
                commandTopics.Add(delta);
                commandNames.Add(ShadowCommands.Delta);
                commandTopics.Add(got);
                commandNames.Add(ShadowCommands.Document);
            }
            else
            {
                errors.Add($"shadow.topicPrefix: {sError}");
            }
        }

        return new MqttDeviceSettings
        {
            Error = errors.Count == 0 ? null : string.Join("; ", errors),
            V5 = v5,
            CleanSession = c.CleanSession,
            KeepAliveSeconds = (ushort)Math.Clamp(c.KeepAlive, 0, ushort.MaxValue),
            Username = username,
            Password = password,
            Will = c.LastWill,
            Tls = tls,
            AllowUntrusted = c.Tls?.AllowUntrusted ?? false,
            CaCertificate = ca,
            CaFile = caPath,
            ClientCertificate = client,
            PublishProperties = v5 ? WithLength(body) : Empty,
            PublishPropertiesBody = perDevice ? [.. body] : Empty,
            DeviceUserProperties = perDevice ? [.. userProperties] : null,
            CommandTopics = [.. commandTopics],
            CommandNames = [.. commandNames],
        };
    }

    /// <summary>
    /// The PUBLISH property block of one device: the shared block, or (when the model's user properties
    /// name the device) the shared part plus those properties rendered for the device. Called once per
    /// device (at its first connect), never per message.
    /// </summary>
    public byte[] DevicePublishProperties(DeviceConnectionContext context)
    {
        if (DeviceUserProperties is not { } templates)
        {
            return PublishProperties;
        }

        var body = new List<byte>(PublishPropertiesBody.Length + 64);
        body.AddRange(PublishPropertiesBody);
        foreach (var p in templates)
        {
            AddUserProperty(body, p.Name, p.Value.RenderForDevice(context.DeviceId, context.Index, context.GroupId, ResolveEnvironment));
        }

        return WithLength(body);
    }

    /// <summary>The will payload: a JSON string's text, other JSON as written.</summary>
    public static string WillPayload(LastWillSettings will) => will.Payload switch
    {
        null => string.Empty,
        { ValueKind: JsonValueKind.String } s => s.GetString() ?? string.Empty,
        { } other => other.GetRawText(),
    };

    /// <summary>Renders <c>${env:NAME}</c> placeholders; other text stays as written.</summary>
    internal static bool TryRenderSecret(string pattern, out string value, out string? error)
    {
        if (!ModelTemplate.TryParse(pattern, out var template, out error))
        {
            value = string.Empty;
            return false;
        }

        string? missing = null;
        value = template.Render(name =>
        {
            if (!name.StartsWith("env:", StringComparison.Ordinal))
            {
                return null;
            }

            var variable = name[4..];
            var found = Environment.GetEnvironmentVariable(variable);
            missing ??= found is null ? variable : null;
            return found ?? string.Empty;
        });
        error = missing is null ? null : $"environment variable {missing} is not set";
        return missing is null;
    }

    private static string Resolve(string path, string? baseDirectory) =>
        Path.IsPathRooted(path) || baseDirectory is null ? Path.GetFullPath(path) : Path.GetFullPath(Path.Combine(baseDirectory, path));

    private static void EncodeSharedPublishProperties(List<byte> body, DeviceModel model, MqttAdapterOptions options)
    {
        if (options.SendContentType)
        {
            bool json = model.Payload.Format == PayloadFormat.Json;
            if (json)
            {
                body.Add(MqttProperty.PayloadFormatIndicator);
                body.Add(1); // UTF-8 encoded character data
            }

            body.Add(MqttProperty.ContentType);
            AddString(body, json ? "application/json" : "application/octet-stream");
        }

        if (options.MessageExpirySeconds is { } expiry)
        {
            body.Add(MqttProperty.MessageExpiryInterval);
            body.Add((byte)(expiry >> 24));
            body.Add((byte)(expiry >> 16));
            body.Add((byte)(expiry >> 8));
            body.Add((byte)expiry);
        }

        foreach (var (key, value) in options.UserProperties)
        {
            AddUserProperty(body, key, value);
        }
    }

    private static void AddUserProperty(List<byte> body, string name, string value)
    {
        body.Add(MqttProperty.UserProperty);
        AddString(body, name);
        AddString(body, value);
    }

    private static byte[] WithLength(List<byte> body)
    {
        var result = new byte[MqttPacketWriter.VarIntSize(body.Count) + body.Count];
        int o = MqttPacketWriter.WriteVarInt(result, body.Count);
        body.CopyTo(result, o);
        return result;
    }

    /// <summary>
    /// The PUBLISH property block of an answer: the model's properties (<paramref name="modelProperties"/>, with their
    /// length prefix) plus Correlation Data and a <c>status</c> user property. Allocates: answers are rare.
    /// </summary>
    public static byte[] ResponseProperties(ReadOnlySpan<byte> modelProperties, ReadOnlySpan<byte> correlationData, int status)
    {
        var body = new List<byte>();
        if (modelProperties.Length > 0)
        {
            var reader = new MqttPacketReader(modelProperties);
            if (reader.TryReadVarInt(out int length) && length <= reader.Remaining)
            {
                body.AddRange(reader.Rest[..length]);
            }
        }

        if (correlationData.Length > 0)
        {
            body.Add(MqttProperty.CorrelationData);
            body.Add((byte)(correlationData.Length >> 8));
            body.Add((byte)correlationData.Length);
            body.AddRange(correlationData);
        }

        body.Add(MqttProperty.UserProperty);
        AddString(body, "status");
        AddString(body, status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return WithLength(body);
    }

    private static readonly Dictionary<string, string> EmptyProperties = [];

    private static readonly Func<string, string?> ResolveEnvironment = static name =>
        name.StartsWith("env:", StringComparison.Ordinal) ? Environment.GetEnvironmentVariable(name[4..]) ?? string.Empty : null;

    private sealed record UserPropertyTemplate(string Name, ModelTemplate Value);

    private static void AddString(List<byte> target, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        target.Add((byte)(bytes.Length >> 8));
        target.Add((byte)bytes.Length);
        target.AddRange(bytes);
    }
}
