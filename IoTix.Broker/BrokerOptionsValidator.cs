using System.Net;
using IoTix.Broker.Security;
using Microsoft.Extensions.Options;

namespace IoTix.Broker;

/// <summary>Start-up validation of <see cref="BrokerOptions"/>; each message names the key and what it accepts.</summary>
public sealed class BrokerOptionsValidator : IValidateOptions<BrokerOptions>
{
    public ValidateOptionsResult Validate(string? name, BrokerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();

        if (!IPAddress.TryParse(options.BindAddress, out _))
        {
            errors.Add($"Broker:BindAddress '{options.BindAddress}' is not an IP address; use e.g. 127.0.0.1 (loopback, default), 0.0.0.0 or ::.");
        }

        CheckPort(errors, "Tcp", options.Listeners.Tcp.Port);
        CheckPort(errors, "Tls", options.Listeners.Tls.Port);
        CheckPort(errors, "WebSocket", options.Listeners.WebSocket.Port);
        CheckPort(errors, "SecureWebSocket", options.Listeners.SecureWebSocket.Port);

        if (!Enum.IsDefined(options.DuplicateClientId))
        {
            errors.Add("Broker:DuplicateClientId must be one of: takeover, reject.");
        }

        if (options.MaxPayloadBytes is < 1 or > 268_435_455)
        {
            errors.Add($"Broker:MaxPayloadBytes {options.MaxPayloadBytes} must be between 1 and 268435455 (the MQTT maximum).");
        }

        if (options.ServerKeepAliveSeconds > ushort.MaxValue)
        {
            errors.Add($"Broker:ServerKeepAliveSeconds {options.ServerKeepAliveSeconds} must be between 0 (off: clients keep their own Keep Alive) and 65535 seconds.");
        }

        if (options.MaxPendingMessagesPerClient < 1)
        {
            errors.Add($"Broker:MaxPendingMessagesPerClient {options.MaxPendingMessagesPerClient} must be at least 1.");
        }

        if (options.MaxSessionExpirySeconds > 7 * 24 * 3600)
        {
            errors.Add($"Broker:MaxSessionExpirySeconds {options.MaxSessionExpirySeconds} must be between 0 and 604800 (7 days).");
        }

        if (options.PersistentSessionExpirySeconds > options.MaxSessionExpirySeconds)
        {
            errors.Add($"Broker:PersistentSessionExpirySeconds {options.PersistentSessionExpirySeconds} must be between 0 and Broker:MaxSessionExpirySeconds ({options.MaxSessionExpirySeconds}).");
        }

        if (options.ConnectionRateLimit.PerIpPerSecond < 0)
        {
            errors.Add("Broker:ConnectionRateLimit:PerIpPerSecond must be 0 (off) or a positive number of connections per second.");
        }

        if (options.Trace.PayloadPreviewBytes is < 0 or > 4096)
        {
            errors.Add($"Broker:Trace:PayloadPreviewBytes must be between 0 (no preview) and 4096 (was {options.Trace.PayloadPreviewBytes}).");
        }

        if (options.Persistence.QueueCapacity is < 1 or > 10_000_000)
        {
            errors.Add($"Broker:Persistence:QueueCapacity must be between 1 and 10000000 (was {options.Persistence.QueueCapacity}).");
        }

        if (options.Persistence.BatchSize is < 1 or > 10_000)
        {
            errors.Add($"Broker:Persistence:BatchSize must be between 1 and 10000 (was {options.Persistence.BatchSize}).");
        }

        if (options.ConnectionRateLimit.MaxQueuedPerIp < 0)
        {
            errors.Add("Broker:ConnectionRateLimit:MaxQueuedPerIp must be 0 or more.");
        }

        if (options.ShutdownDrainSeconds is < 0 or > 3600)
        {
            errors.Add($"Broker:ShutdownDrainSeconds {options.ShutdownDrainSeconds} must be between 0 and 3600.");
        }

        ValidateUsers(errors, options.Users);

        if (options.Tls.IsConfigured)
        {
            if (!File.Exists(options.Tls.CertificateFile))
            {
                errors.Add($"Broker:Tls:CertificateFile '{options.Tls.CertificateFile}' does not exist; give a PEM certificate file.");
            }

            if (string.IsNullOrWhiteSpace(options.Tls.KeyFile) || !File.Exists(options.Tls.KeyFile))
            {
                errors.Add($"Broker:Tls:KeyFile '{options.Tls.KeyFile}' does not exist; give the PEM private key of Broker:Tls:CertificateFile.");
            }

            if (!string.IsNullOrWhiteSpace(options.Tls.ClientCaFile) && !File.Exists(options.Tls.ClientCaFile))
            {
                errors.Add($"Broker:Tls:ClientCaFile '{options.Tls.ClientCaFile}' does not exist; give a PEM CA certificate or leave it empty.");
            }
        }

        if (options.Tls.RequireClientCertificate && string.IsNullOrWhiteSpace(options.Tls.ClientCaFile))
        {
            errors.Add("Broker:Tls:RequireClientCertificate needs Broker:Tls:ClientCaFile (the CA that signs client certificates).");
        }

        if (!string.IsNullOrWhiteSpace(options.AclFile) && !File.Exists(options.AclFile))
        {
            errors.Add($"Broker:AclFile '{options.AclFile}' does not exist; give a JSON or text ACL file (docs/broker.md) or leave it empty.");
        }

        if (options.Enabled && !options.IsLoopbackBinding && !options.IsAnonymousAllowed && options.Users.Count == 0 && string.IsNullOrWhiteSpace(options.Tls.ClientCaFile))
        {
            errors.Add($"Broker:BindAddress '{options.BindAddress}' is beyond loopback: configure Broker:Users (or Broker:Tls:ClientCaFile) or set Broker:AllowAnonymous=true explicitly.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckPort(List<string> errors, string listener, int port)
    {
        if (port is < 0 or > 65535)
        {
            errors.Add($"Broker:Listeners:{listener}:Port {port} must be between 1 and 65535, or 0 to disable the listener.");
        }
    }

    private static void ValidateUsers(List<string> errors, List<BrokerUser> users)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < users.Count; i++)
        {
            var user = users[i];
            if (string.IsNullOrWhiteSpace(user.Username))
            {
                errors.Add($"Broker:Users:{i}:Username is empty; every user needs a name.");
                continue;
            }

            if (!seen.Add(user.Username))
            {
                errors.Add($"Broker:Users:{i}:Username '{user.Username}' appears twice; user names are unique.");
            }

            if (!BrokerPasswordHasher.IsWellFormed(user.PasswordHash))
            {
                errors.Add($"Broker:Users:{i}:PasswordHash of '{user.Username}' is not a PBKDF2 hash; create one with `iotix broker hash-password`.");
            }
        }
    }
}
