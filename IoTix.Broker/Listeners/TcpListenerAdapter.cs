using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Server;
using Microsoft.Extensions.Logging;

namespace IoTix.Broker.Listeners;

/// <summary>
/// A TCP (optionally TLS) listener feeding MQTTnet. It replaces MQTTnet's own TCP adapter so that every
/// connection passes the connection gate (rate limit) and the <see cref="BrokerChannelAdapter"/> first.
/// </summary>
internal sealed partial class TcpListenerAdapter : IMqttServerAdapter
{
    private readonly string _name;
    private readonly IPEndPoint _endPoint;
    private readonly X509Certificate2? _certificate;
    private readonly ClientCertificateValidator? _clientCertificates;
    private readonly ConnectionGate _gate;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _socket;
    private Task? _acceptLoop;
    private MqttServerOptions? _serverOptions;
    private IMqttNetLogger? _mqttLogger;

    public TcpListenerAdapter(string name, IPEndPoint endPoint, X509Certificate2? certificate, ClientCertificateValidator? clientCertificates, ConnectionGate gate, ILogger logger)
    {
        _name = name;
        _endPoint = endPoint;
        _certificate = certificate;
        _clientCertificates = clientCertificates;
        _gate = gate;
        _logger = logger;
    }

    public Func<IMqttChannelAdapter, Task>? ClientHandler { get; set; }

    /// <summary>The bound port (the real one when configured with 0 in tests).</summary>
    public int BoundPort { get; private set; }

    public string Name => _name;

    public Task StartAsync(MqttServerOptions options, IMqttNetLogger logger)
    {
        _serverOptions = options;
        _mqttLogger = logger;
        var socket = new Socket(_endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (_endPoint.AddressFamily == AddressFamily.InterNetworkV6 && _endPoint.Address.Equals(IPAddress.IPv6Any))
        {
            socket.DualMode = true;
        }

        socket.Bind(_endPoint);
        socket.Listen(1024);
        _socket = socket;
        BoundPort = ((IPEndPoint)socket.LocalEndPoint!).Port;
        LogListening(_logger, _name, new IPEndPoint(_endPoint.Address, BoundPort).ToString(), _certificate is not null);
        _acceptLoop = Task.Run(AcceptLoopAsync);
        return Task.CompletedTask;
    }

    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _socket?.Dispose();
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                var client = await _socket!.AcceptAsync(token).ConfigureAwait(false);
                _ = Task.Run(() => HandleConnectionAsync(client, token), CancellationToken.None);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException exception) when (exception.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset or SocketError.OperationAborted)
            {
                // The peer gave up before the accept completed.
            }
            catch (Exception exception)
            {
                LogAcceptFailed(_logger, exception, _name);
            }
        }
    }

    private async Task HandleConnectionAsync(Socket socket, CancellationToken cancellationToken)
    {
        var remote = socket.RemoteEndPoint as IPEndPoint;
        Stream? stream = null;
        try
        {
            socket.NoDelay = true;
            if (remote is not null && !await _gate.AdmitAsync(_name, remote.Address, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            stream = new NetworkStream(socket, ownsSocket: true);
            X509Certificate2? clientCertificate = null;
            if (_certificate is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                using var handshakeTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                handshakeTimeout.CancelAfter(_serverOptions!.DefaultCommunicationTimeout);
                await ssl.AuthenticateAsServerAsync(
                    new SslServerAuthenticationOptions
                    {
                        ServerCertificate = _certificate,
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        ClientCertificateRequired = _clientCertificates is not null,
                        RemoteCertificateValidationCallback = _clientCertificates is null ? null : _clientCertificates.Validate,
                        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                        EncryptionPolicy = EncryptionPolicy.RequireEncryption,
                    },
                    handshakeTimeout.Token).ConfigureAwait(false);
                clientCertificate = ssl.RemoteCertificate as X509Certificate2
                    ?? (ssl.RemoteCertificate is null ? null : X509CertificateLoader.LoadCertificate(ssl.RemoteCertificate.GetRawCertData()));
            }

            var handler = ClientHandler;
            if (handler is null)
            {
                return;
            }

            var channel = new BrokerTcpChannel(stream, socket.LocalEndPoint, remote, clientCertificate, _gate.Limit);
            var formatter = new MqttPacketFormatterAdapter(new MqttBufferWriter(_serverOptions!.WriterBufferSize, _serverOptions.WriterBufferSizeMax));
            using var adapter = _gate.Wrap(_name, new MqttChannelAdapter(channel, formatter, _mqttLogger), channel);
            await handler(adapter).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is AuthenticationException or IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            LogConnectionEnded(_logger, _name, remote?.ToString() ?? "?", exception.Message);
        }
        catch (Exception exception)
        {
            LogConnectionFailed(_logger, exception, _name, remote?.ToString() ?? "?");
        }
        finally
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket.Dispose();
            }
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "MQTT listener {Listener} on {EndPoint} (TLS: {Tls})")]
    private static partial void LogListening(ILogger logger, string listener, string endPoint, bool tls);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "MQTT listener {Listener} failed to accept a connection")]
    private static partial void LogAcceptFailed(ILogger logger, Exception exception, string listener);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Debug, Message = "Connection on {Listener} from {RemoteEndPoint} ended: {Reason}")]
    private static partial void LogConnectionEnded(ILogger logger, string listener, string remoteEndPoint, string reason);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Error, Message = "Connection on {Listener} from {RemoteEndPoint} failed")]
    private static partial void LogConnectionFailed(ILogger logger, Exception exception, string listener, string remoteEndPoint);
}
