using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using IoTix.Web.Broker;
using Microsoft.AspNetCore.Builder;
using MQTTnet;
using MQTTnet.Formatter;

namespace IoTix.Tests.Shared;

/// <summary>The hosted broker (`iotix broker` host: TCP, WebSocket, /metrics, probes) on free loopback ports.</summary>
public sealed class BrokerInstance : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly string? _ownedDataFolder;

    private BrokerInstance(WebApplication app, int tcpPort, int webSocketPort, int httpPort, string? ownedDataFolder)
    {
        _ownedDataFolder = ownedDataFolder;
        App = app;
        TcpPort = tcpPort;
        WebSocketPort = webSocketPort;
        HttpPort = httpPort;
    }

    public WebApplication App { get; }

    public int TcpPort { get; }

    public int WebSocketPort { get; }

    public int HttpPort { get; }

    public IServiceProvider Services => App.Services;

    /// <summary>
    /// Starts a broker; <paramref name="settings"/> are extra configuration keys (Broker:...), <paramref name="configure"/>
    /// may replace services (a FakeTimeProvider as TimeProvider, a logger provider ...).
    /// </summary>
    public static async Task<BrokerInstance> StartAsync(IReadOnlyDictionary<string, string>? settings = null, Action<WebApplicationBuilder>? configure = null)
    {
        var tcp = FreePort();
        var ws = FreePort();
        var http = FreePort();
        var args = new List<string>
        {
            "--environment=Testing",
            $"--urls=http://127.0.0.1:{http}",
            $"--Broker:Listeners:Tcp:Port={tcp}",
            $"--Broker:Listeners:WebSocket:Port={ws}",
            "--Broker:ShutdownDrainSeconds=1",
            "--Logging:LogLevel:Default=Warning",
        };
        string? dataFolder = null;
        if (settings is null || !settings.ContainsKey("ConnectionStrings:IoTix"))
        {
            // Each broker gets its own SQLite database: retained messages and sessions do not leak between tests.
            dataFolder = Directory.CreateTempSubdirectory("iotix-broker-test-").FullName;
            args.Add($"--ConnectionStrings:IoTix=Data Source={Path.Combine(dataFolder, "iotix.db")}");
        }

        if (settings is not null)
        {
            foreach (var (key, value) in settings)
            {
                args.Add($"--{key}={value}");
            }
        }

        var app = BrokerWebApplication.Build([.. args], configure);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            DeleteFolder(dataFolder);
            throw;
        }

        return new BrokerInstance(app, tcp, ws, http, dataFolder);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public MqttClientOptionsBuilder Options(string? clientId, MqttProtocolVersion version = MqttProtocolVersion.V500) =>
        new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", TcpPort)
            .WithClientId(clientId)
            .WithProtocolVersion(version)
            .WithTimeout(Timeout);

    public async Task<IMqttClient> ConnectAsync(string? clientId, MqttProtocolVersion version = MqttProtocolVersion.V500, Action<MqttClientOptionsBuilder>? configure = null)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = Options(clientId, version);
        configure?.Invoke(options);
        using var cancel = new CancellationTokenSource(Timeout);
        await client.ConnectAsync(options.Build(), cancel.Token);
        return client;
    }

    /// <summary>Runs a command-line peer (mosquitto_pub, python3 ...) bounded by `timeout -s KILL`.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo("timeout") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-s");
        start.ArgumentList.Add("KILL");
        start.ArgumentList.Add("20");
        start.ArgumentList.Add(program);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>A fresh SQLite connection string in a temporary folder, for tests that restart a broker on the same data.</summary>
    public static string TemporarySqlite(out string folder)
    {
        folder = Directory.CreateTempSubdirectory("iotix-broker-test-").FullName;
        return $"Data Source={Path.Combine(folder, "iotix.db")}";
    }

    /// <summary>
    /// Deletes a test's temporary folder after its host stopped. A file watcher or a late write of the stopped host can
    /// still be finishing ("Directory not empty"), so it is tried for up to a second; a folder that stays is left to
    /// the OS's temp cleanup rather than failing the tests that used it.
    /// </summary>
    public static void DeleteFolder(string? folder)
    {
        if (folder is null)
        {
            return;
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        for (int attempt = 0; attempt < 10 && Directory.Exists(folder); attempt++)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                Thread.Sleep(100);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        DeleteFolder(_ownedDataFolder);
    }
}

/// <summary>One broker with default settings shared by a test class.</summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    public BrokerInstance Broker { get; private set; } = null!;

    public async Task InitializeAsync() => Broker = await BrokerInstance.StartAsync();

    public async Task DisposeAsync() => await Broker.DisposeAsync();
}

/// <summary>Collects received messages and lets a test wait for a count, with a timeout instead of sleeps.</summary>
public sealed class MessageCollector
{
    private readonly List<MqttApplicationMessage> _messages = [];
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];

    public MessageCollector(IMqttClient client)
    {
        client.ApplicationMessageReceivedAsync += e =>
        {
            lock (_messages)
            {
                _messages.Add(e.ApplicationMessage);
                foreach (var (count, signal) in _waiters)
                {
                    if (_messages.Count >= count)
                    {
                        signal.TrySetResult();
                    }
                }
            }

            return Task.CompletedTask;
        };
    }

    public IReadOnlyList<MqttApplicationMessage> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    public async Task<IReadOnlyList<MqttApplicationMessage>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        TaskCompletionSource signal;
        lock (_messages)
        {
            if (_messages.Count >= count)
            {
                return [.. _messages];
            }

            signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, signal));
        }

        await signal.Task.WaitAsync(timeout ?? BrokerInstance.Timeout);
        return Messages;
    }
}
