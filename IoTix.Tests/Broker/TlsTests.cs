using IoTix.Tests.Shared;

namespace IoTix.Tests.Broker;

/// <summary>TLS listener with certificates from deploy/certs/generate.sh, checked with mosquitto_pub.</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly string _certs = Directory.CreateTempSubdirectory("iotix-certs-").FullName;
    private readonly int _tlsPort = BrokerInstance.FreePort();
    private BrokerInstance _broker = null!;

    public async Task InitializeAsync()
    {
        var script = Path.Combine(FindRepositoryRoot(), "deploy", "certs", "generate.sh");
        var (exitCode, output) = await BrokerInstance.RunAsync("bash", script, _certs, "localhost", "device-7");
        Assert.True(exitCode == 0, output);
        _broker = await BrokerInstance.StartAsync(new Dictionary<string, string>
        {
            ["Broker:Tls:CertificateFile"] = Path.Combine(_certs, "server.crt"),
            ["Broker:Tls:KeyFile"] = Path.Combine(_certs, "server.key"),
            ["Broker:Tls:ClientCaFile"] = Path.Combine(_certs, "ca.crt"),
            ["Broker:Tls:RequireClientCertificate"] = "true",
            ["Broker:AllowAnonymous"] = "false",
            ["Broker:Listeners:Tls:Port"] = _tlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Broker:Listeners:SecureWebSocket:Port"] = BrokerInstance.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        Directory.Delete(_certs, recursive: true);
    }

    [Fact]
    public async Task Client_with_a_certificate_from_the_ca_is_authenticated_over_tls_without_a_password()
    {
        var (exitCode, output) = await BrokerInstance.RunAsync("mosquitto_pub", "-h", "localhost", "-p", $"{_tlsPort}", "-V", "mqttv5",
            "--cafile", Path.Combine(_certs, "ca.crt"), "--cert", Path.Combine(_certs, "client.crt"), "--key", Path.Combine(_certs, "client.key"),
            "--tls-version", "tlsv1.2", "-t", "tls/test", "-m", "secure", "-q", "1");

        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public async Task Client_without_a_certificate_is_refused_when_mutual_tls_is_required()
    {
        var (exitCode, _) = await BrokerInstance.RunAsync("mosquitto_pub", "-h", "localhost", "-p", $"{_tlsPort}", "-V", "mqttv311",
            "--cafile", Path.Combine(_certs, "ca.crt"), "-t", "tls/test", "-m", "x");

        Assert.NotEqual(0, exitCode);
    }

    [Fact]
    public async Task Plain_tcp_anonymous_client_is_refused_when_anonymous_access_is_off()
    {
        var (exitCode, output) = await BrokerInstance.RunAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", $"{_broker.TcpPort}", "-V", "mqttv311", "-t", "x", "-m", "x");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("not authorised", output, StringComparison.OrdinalIgnoreCase);
    }

    private static string FindRepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "IoTix.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("IoTix.sln not found above the test binaries.");
    }
}
