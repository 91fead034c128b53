using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MQTTnet;
using MQTTnet.Formatter;

namespace IoTix.Tests.Shared;

/// <summary>What a <see cref="MosquittoInstance"/> listener requires.</summary>
public sealed record MosquittoSettings
{
    /// <summary>user -> password; when set, anonymous clients are refused.</summary>
    public IReadOnlyDictionary<string, string>? Users { get; init; }

    /// <summary>Serve TLS with the certificates of <see cref="TestCertificates"/>.</summary>
    public bool Tls { get; init; }

    /// <summary>With TLS: require a client certificate signed by the CA.</summary>
    public bool RequireClientCertificate { get; init; }
}

/// <summary>
/// Debian's mosquitto on a free loopback port (`mosquitto -c conf` under `timeout -s KILL`, stopped
/// by pid): `listener PORT 127.0.0.1`, `set_tcp_nodelay true`, anonymous or a password file, plain or TLS.
/// </summary>
public sealed class MosquittoInstance : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly string _config;
    private Process? _process;

    private MosquittoInstance(string directory, int port, string config)
    {
        Directory = directory;
        Port = port;
        _config = config;
    }

    public int Port { get; }

    public string Directory { get; }

    public static async Task<MosquittoInstance> StartAsync(MosquittoSettings? settings = null)
    {
        settings ??= new MosquittoSettings();
        var directory = System.IO.Directory.CreateTempSubdirectory("iotix-mosquitto-").FullName;
        int port = BrokerInstance.FreePort();
        var lines = new List<string>
        {
            $"listener {port} 127.0.0.1",
            "set_tcp_nodelay true",
            "persistence false",
            "max_queued_messages 10000",
            "log_dest stderr",
            "log_type error",
            "user root",
        };
        if (settings.Users is { } users)
        {
            var passwords = Path.Combine(directory, "passwords");
            await File.WriteAllTextAsync(passwords, string.Empty);
            foreach (var (user, password) in users)
            {
                var (code, output) = await BrokerInstance.RunAsync("mosquitto_passwd", "-b", passwords, user, password);
                Assert.True(code == 0, output);
            }

            lines.Add("allow_anonymous false");
            lines.Add($"password_file {passwords}");
        }
        else
        {
            lines.Add("allow_anonymous true");
        }

        if (settings.Tls)
        {
            var certs = await TestCertificates.GetAsync();
            lines.Add($"cafile {certs.CaFile}");
            lines.Add($"certfile {certs.ServerCertFile}");
            lines.Add($"keyfile {certs.ServerKeyFile}");
            lines.Add($"require_certificate {(settings.RequireClientCertificate ? "true" : "false")}");
        }

        var config = Path.Combine(directory, "mosquitto.conf");
        await File.WriteAllLinesAsync(config, lines);
        var instance = new MosquittoInstance(directory, port, config);
        await instance.StartProcessAsync();
        return instance;
    }

    /// <summary>Starts mosquitto (again) on the same port and waits until it accepts connections.</summary>
    public async Task StartProcessAsync()
    {
        var start = new ProcessStartInfo("timeout") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-s", "KILL", "600", "mosquitto", "-c", _config })
        {
            start.ArgumentList.Add(a);
        }

        _process = Process.Start(start)!;
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(20);
            }
        }
    }

    /// <summary>Kills mosquitto (by pid, with its `timeout` parent) and waits for it to exit.</summary>
    public async Task StopProcessAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async Task<IMqttClient> ConnectClientAsync(string clientId, MqttProtocolVersion version = MqttProtocolVersion.V500, Action<MqttClientOptionsBuilder>? configure = null)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", Port)
            .WithClientId(clientId)
            .WithProtocolVersion(version)
            .WithTimeout(Timeout);
        configure?.Invoke(options);
        using var cancel = new CancellationTokenSource(Timeout);
        await client.ConnectAsync(options.Build(), cancel.Token);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await StopProcessAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}

/// <summary>One anonymous plain-TCP mosquitto shared by a test class.</summary>
public sealed class MosquittoFixture : IAsyncLifetime
{
    public MosquittoInstance Mosquitto { get; private set; } = null!;

    public async Task InitializeAsync() => Mosquitto = await MosquittoInstance.StartAsync();

    public async Task DisposeAsync() => await Mosquitto.DisposeAsync();
}

/// <summary>CA, server (localhost, 127.0.0.1) and client certificates from deploy/certs/generate.sh, made once per test run; plus a second, unrelated CA.</summary>
public sealed record TestCertificates(string Directory, string OtherCaFile)
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static TestCertificates? _instance;

    public string CaFile => Path.Combine(Directory, "ca.crt");

    public string ServerCertFile => Path.Combine(Directory, "server.crt");

    public string ServerKeyFile => Path.Combine(Directory, "server.key");

    public string ClientCertFile => Path.Combine(Directory, "client.crt");

    public string ClientKeyFile => Path.Combine(Directory, "client.key");

    public static async Task<TestCertificates> GetAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_instance is not null)
            {
                return _instance;
            }

            var script = Path.Combine(RepositoryRoot(), "deploy", "certs", "generate.sh");
            var directory = System.IO.Directory.CreateTempSubdirectory("iotix-certs-").FullName;
            var other = System.IO.Directory.CreateTempSubdirectory("iotix-certs-other-").FullName;
            var (code, output) = await BrokerInstance.RunAsync("bash", script, directory, "localhost", "device-1");
            Assert.True(code == 0, output);
            (code, output) = await BrokerInstance.RunAsync("bash", script, other, "localhost", "device-1");
            Assert.True(code == 0, output);
            _instance = new TestCertificates(directory, Path.Combine(other, "ca.crt"));
            return _instance;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "IoTix.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("IoTix.sln not found above the test binaries");
    }
}
