using System.Net.Http.Headers;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;

namespace IoTix.Tests.Web.Accounts;

/// <summary>
/// The API host of the accounts tests on a throwaway PostgreSQL database (one per test class), with the API tests'
/// file model and in-process MQTT adapter. <see cref="Factory"/>'s plain client is the default tenant's administrator.
/// </summary>
public sealed class AccountsHost : IAsyncDisposable
{
    private readonly string _models;

    private AccountsHost(IoTixWebFactory factory, string models)
    {
        Factory = factory;
        _models = models;
    }

    public IoTixWebFactory Factory { get; }

    /// <summary>The administrator's authenticator key once a test turned two-factor on.</summary>
    public string? AuthenticatorKey { get; set; }

    public static async Task<AccountsHost> StartAsync(PostgresFixture postgres, IDictionary<string, string?>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        var models = Directory.CreateTempSubdirectory("iotix-accounts-models-").FullName;
        await File.WriteAllTextAsync(Path.Combine(models, "file-sensor.json"), ApiTestHost.Model(ApiFixture.FileModelId));
        var all = new Dictionary<string, string?>
        {
            ["Database:Provider"] = "postgresql",
            ["ConnectionStrings:IoTix"] = await postgres.CreateDatabaseAsync("iotix_acc"),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var host = new AccountsHost(ApiTestHost.CreateFactory(models, settings: all), models);
        _ = host.Factory.Server;
        return host;
    }

    /// <summary>A client with a bearer token.</summary>
    public HttpClient CreateBearerClient(string token)
    {
        var client = Factory.CreateAnonymousClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await Factory.DisposeAsync();
        Directory.Delete(_models, recursive: true);
    }
}
