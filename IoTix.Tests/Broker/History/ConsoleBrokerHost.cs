using System.Globalization;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Formatter;

namespace IoTix.Tests.Broker.History;

/// <summary>
/// The whole IoTix host (REST API through the test server) with its broker on a free loopback TCP port and its own
/// SQLite database; <paramref name="dataFolder"/> keeps the database for restart tests.
/// </summary>
public sealed class ConsoleBrokerHost : IAsyncDisposable
{
    private readonly IoTixWebFactory _factory;

    private ConsoleBrokerHost(IoTixWebFactory factory, int tcpPort)
    {
        _factory = factory;
        TcpPort = tcpPort;
        Http = factory.CreateClient();
    }

    public int TcpPort { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _factory.Services;

    /// <summary>The host's factory (<see cref="IoTixWebFactory.CreateClientForAsync"/> for other tenants and roles).</summary>
    public IoTixWebFactory Factory => _factory;

    /// <summary>The host on a new database of <paramref name="postgres"/> (or <paramref name="connectionString"/>: restart tests).</summary>
    public static async Task<ConsoleBrokerHost> StartOnPostgresAsync(PostgresFixture postgres, IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? services = null, string? connectionString = null)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        var all = new Dictionary<string, string?>(settings)
        {
            ["Database:Provider"] = "postgresql",
            ["ConnectionStrings:IoTix"] = connectionString ?? await postgres.CreateDatabaseAsync("iotix_tbd"),
        };
        var host = Start(all, services);
        _ = host.Services; // starts the host: schema, default tenant, broker
        return host;
    }

    public static ConsoleBrokerHost Start(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? services = null, string? dataFolder = null)
    {
        var port = BrokerInstance.FreePort();
        var all = new Dictionary<string, string?>
        {
            ["Broker:Enabled"] = "true",
            ["Broker:Listeners:Tcp:Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Broker:Listeners:WebSocket:Port"] = "0",
            ["Broker:ShutdownDrainSeconds"] = "1",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var factory = dataFolder is null
            ? new IoTixWebFactory { Settings = all, TestServices = services }
            : new IoTixWebFactory { Settings = all, TestServices = services, DataFolder = dataFolder };
        return new ConsoleBrokerHost(factory, port);
    }

    public async Task<IMqttClient> ConnectAsync(string? clientId, Action<MqttClientOptionsBuilder>? configure = null)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", TcpPort)
            .WithClientId(clientId)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithTimeout(BrokerInstance.Timeout);
        configure?.Invoke(options);
        using var cancel = new CancellationTokenSource(BrokerInstance.Timeout);
        await client.ConnectAsync(options.Build(), cancel.Token);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _factory.DisposeAsync();
    }
}
