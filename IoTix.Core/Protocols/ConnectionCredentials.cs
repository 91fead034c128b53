using System.Text;

namespace IoTix.Core.Protocols;

/// <summary>
/// A user name and password a device connects with instead of its model's <c>connection.credentials</c> (a group's or
/// device's <c>CredentialsOverride</c>, given by the host). Both are encoded once, here: a CONNECT copies the bytes,
/// and many devices may share one instance. The password is never part of <see cref="ToString"/>. MQTT adapters send
/// them in CONNECT [MQTT-3.1.3-11]/[MQTT-3.1.3-12]; adapters without user names (CoAP, HTTP) ignore them.
/// </summary>
public sealed class ConnectionCredentials
{
    private readonly byte[] _password;

    public ConnectionCredentials(string username, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(username);
        ArgumentNullException.ThrowIfNull(password);
        Username = username;
        UsernameUtf8 = Encoding.UTF8.GetBytes(username);
        _password = Encoding.UTF8.GetBytes(password);
    }

    /// <summary>The user name.</summary>
    public string Username { get; }

    /// <summary>The user name in UTF-8.</summary>
    public ReadOnlyMemory<byte> UsernameUtf8 { get; }

    /// <summary>The password in UTF-8 (binary data in MQTT [MQTT-3.1.3-12]).</summary>
    public ReadOnlyMemory<byte> Password => _password;

    /// <summary>The user name only: the password never reaches a log.</summary>
    public override string ToString() => Username + " (password hidden)";
}
