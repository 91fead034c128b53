using IoTix.Web.Accounts;
using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Shared;

/// <summary>
/// The IoTix host in process, on embedded defaults and its own temporary SQLite database, for API and page tests.
/// <see cref="WebApplicationFactory{TEntryPoint}.CreateClient()"/> answers as the first-start administrator (Owner of the
/// default tenant, platform administrator) through <see cref="AdminApiKey"/>; <see cref="CreateAnonymousClient"/> and
/// <see cref="CreateClientForAsync"/> give other callers.
/// </summary>
public sealed class IoTixWebFactory : WebApplicationFactory<Program>
{
    /// <summary>The administrator's e-mail and password (IoTix:Admin), for sign-in tests and the Playwright fixtures.</summary>
    public const string AdminEmail = "admin@iotix.test";

    public const string AdminPassword = "test-admin-password";

    /// <summary>IoTix:Admin:ApiKey of every test host: the administrator's API key.</summary>
    public const string AdminApiKey = "iotix-test-admin-key-0123456789abcdef0123456789";

    /// <summary>IoTix:Jwt:Secret of every test host (the Testing environment requires one).</summary>
    public const string JwtSecret = "iotix-test-jwt-secret-0123456789abcdef0123456789";

    /// <summary>The settings every IoTix test host needs (tests on their own WebApplicationFactory use them too).</summary>
    public static IReadOnlyDictionary<string, string> AccountSettings { get; } = new Dictionary<string, string>
    {
        ["IoTix:Admin:Email"] = AdminEmail,
        ["IoTix:Admin:Password"] = AdminPassword,
        ["IoTix:Admin:ApiKey"] = AdminApiKey,
        ["IoTix:Jwt:Secret"] = JwtSecret,
    };

    /// <summary>
    /// Settings of a host whose hosted broker listens on TCP <paramref name="port"/> (no WebSocket listener, 1 s drain) and
    /// whose simulated devices connect to it (<c>IoTix:Simulation:BrokerHost</c>/<c>BrokerPort</c>), plus <paramref name="more"/>.
    /// </summary>
    public static Dictionary<string, string?> WithHostedBroker(int port, Dictionary<string, string?>? more = null)
    {
        var text = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var settings = new Dictionary<string, string?>(more ?? [])
        {
            ["Broker:Enabled"] = "true",
            ["Broker:Listeners:Tcp:Port"] = text,
            ["Broker:Listeners:WebSocket:Port"] = "0",
            ["Broker:ShutdownDrainSeconds"] = "1",
            ["IoTix:Simulation:BrokerHost"] = "127.0.0.1",
            ["IoTix:Simulation:BrokerPort"] = text,
        };
        return settings;
    }

    private string? _dataFolder;
    private bool _keepDataFolder;

    /// <summary>
    /// Folder of the SQLite database: a new temporary folder, deleted on disposal, unless a test sets it (then it is
    /// kept, so a second factory on the same folder sees the first one's data: restart tests).
    /// </summary>
    public string DataFolder
    {
        get => _dataFolder ??= Directory.CreateTempSubdirectory("iotix-web-test-").FullName;
        init
        {
            _dataFolder = value;
            _keepDataFolder = true;
        }
    }

    /// <summary>Settings applied after the defaults (they win), e.g. <c>Database:Provider</c> and a PostgreSQL connection string.</summary>
    public IDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>Service registrations applied after the host's own (e.g. a test protocol adapter).</summary>
    public Action<IServiceCollection>? TestServices { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Broker:Enabled", "false"); // broker tests start their own on free ports (BrokerFixture)
        builder.UseSetting("ConnectionStrings:IoTix", $"Data Source={Path.Combine(DataFolder, "iotix.db")}");
        foreach (var (key, value) in AccountSettings)
        {
            builder.UseSetting(key, value);
        }

        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        if (TestServices is { } configure)
        {
            builder.ConfigureTestServices(configure);
        }
    }

    /// <summary>Clients of <see cref="WebApplicationFactory{TEntryPoint}.CreateClient()"/> carry the administrator's API key.</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.Add(ApiKeyAuthenticationHandler.HeaderName, AdminApiKey);
    }

    /// <summary>A client without credentials.</summary>
    public HttpClient CreateAnonymousClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Remove(ApiKeyAuthenticationHandler.HeaderName);
        return client;
    }

    /// <summary>A client with a new API key of <paramref name="role"/> in <paramref name="tenantId"/> (created when missing).</summary>
    public async Task<HttpClient> CreateClientForAsync(string role, string tenantId = Tenants.Default)
    {
        var key = await CreateApiKeyAsync(role, tenantId);
        var client = CreateAnonymousClient();
        client.DefaultRequestHeaders.Add(ApiKeyAuthenticationHandler.HeaderName, key);
        return client;
    }

    /// <summary>A new API key of <paramref name="role"/> in <paramref name="tenantId"/> (the tenant is created when missing).</summary>
    public async Task<string> CreateApiKeyAsync(string role, string tenantId = Tenants.Default)
    {
        _ = Server; // the host runs: the schema and the default tenant exist
        if (tenantId != Tenants.Default)
        {
            await Services.GetRequiredService<TenantDirectory>().TryAddAsync(new TenantRecord { Id = tenantId, Name = tenantId });
        }

        using var scope = TenantScope.Enter(tenantId);
        var created = await Services.GetRequiredService<ApiKeyService>().CreateAsync($"test {role}", role, null, "tests");
        return created.Key;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (!_keepDataFolder && _dataFolder is not null)
        {
            BrokerInstance.DeleteFolder(_dataFolder);
        }
    }
}
