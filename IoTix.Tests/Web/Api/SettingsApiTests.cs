using System.Net;
using IoTix.Broker.Admin;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Web.Api;

/// <summary>
/// <c>GET/PUT /api/v1/settings</c> on the real host: the Settings page's values and validation, stored in the
/// database (SQLite and a throwaway PostgreSQL, subclasses below) and applied to the broker's runtime settings.
/// </summary>
public abstract class SettingsApiTests : IAsyncLifetime
{
    private const string Valid = """{"historyRetention": "48h", "maxPayloadBytes": 2048, "connectionRateLimitPerIpPerSecond": 9, "duplicateClientId": "reject"}""";

    private readonly string _data = Directory.CreateTempSubdirectory("iotix-settings-api-").FullName;
    private Dictionary<string, string?> _database = [];

    /// <summary>Settings selecting this test's database (a new one per test).</summary>
    protected abstract Task<Dictionary<string, string?>> DatabaseAsync();

    public async Task InitializeAsync() => _database = await DatabaseAsync();

    public Task DisposeAsync()
    {
        BrokerInstance.DeleteFolder(_data);
        return Task.CompletedTask;
    }

    private IoTixWebFactory Host() => new() { Settings = new Dictionary<string, string?>(_database), DataFolder = _data };

    [Fact]
    public async Task Get_without_stored_settings_answers_the_configured_broker_values_and_the_default_retention()
    {
        await using var host = Host();

        var settings = await host.CreateClient().GetJsonAsync("/api/v1/settings");

        Assert.Equal("24h", settings.GetProperty("historyRetention").GetString());
        Assert.Equal(262144, settings.GetProperty("maxPayloadBytes").GetInt32());
        Assert.Equal(262144, settings.GetProperty("activeMaxPayloadBytes").GetInt32());
        Assert.Equal(100, settings.GetProperty("connectionRateLimitPerIpPerSecond").GetInt32());
        Assert.Equal("takeover", settings.GetProperty("duplicateClientId").GetString());
        Assert.Empty(settings.GetProperty("pendingRestart").EnumerateArray());
    }

    [Fact]
    public async Task Put_stores_every_setting_applies_the_rate_now_the_payload_limit_at_restart_and_survives_a_restart()
    {
        await using (var host = Host())
        {
            var client = host.CreateClient();

            using var response = await client.PutJsonAsync("/api/v1/settings", Valid);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.JsonAsync();
            Assert.Equal(2048, body.GetProperty("maxPayloadBytes").GetInt32());
            Assert.Equal(262144, body.GetProperty("activeMaxPayloadBytes").GetInt32());
            Assert.Equal(["connection rate limit", "duplicate client id policy"], body.GetProperty("appliedNow").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(["payload limit"], body.GetProperty("pendingRestart").EnumerateArray().Select(e => e.GetString()));
            var runtime = host.Services.GetRequiredService<IBrokerRuntimeSettings>();
            Assert.Equal(9, runtime.Active.ConnectionRatePerIpPerSecond);
            Assert.Equal(IoTix.Broker.DuplicateClientIdPolicy.Reject, runtime.Active.DuplicateClientId);
            Assert.Equal("48h", (await client.GetJsonAsync("/api/v1/settings")).GetProperty("historyRetention").GetString());
        }

        await using var restarted = Host();
        var after = await restarted.CreateClient().GetJsonAsync("/api/v1/settings");
        Assert.Equal("48h", after.GetProperty("historyRetention").GetString());
        Assert.Equal(2048, after.GetProperty("maxPayloadBytes").GetInt32());
        Assert.Equal(2048, after.GetProperty("activeMaxPayloadBytes").GetInt32());
        Assert.Equal(9, after.GetProperty("connectionRateLimitPerIpPerSecond").GetInt32());
        Assert.Equal("reject", after.GetProperty("duplicateClientId").GetString());
    }

    [Fact]
    public async Task Put_with_invalid_values_is_a_400_naming_every_bad_field_in_the_pages_words_and_changes_nothing()
    {
        await using var host = Host();
        var client = host.CreateClient();

        using var response = await client.PutJsonAsync(
            "/api/v1/settings",
            """{"historyRetention": "3d", "maxPayloadBytes": 0, "connectionRateLimitPerIpPerSecond": -5, "duplicateClientId": "kick"}""");

        var body = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        var errors = body.GetProperty("errors");
        Assert.Contains("12h, 24h, 48h, 7d", errors.GetProperty("historyRetention")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal("The payload limit must be at least 1 byte.", errors.GetProperty("maxPayloadBytes")[0].GetString());
        Assert.Equal("The connection rate limit cannot be negative; use 0 to turn it off.", errors.GetProperty("connectionRateLimitPerIpPerSecond")[0].GetString());
        Assert.Contains("takeover", errors.GetProperty("duplicateClientId")[0].GetString(), StringComparison.Ordinal);
        var unchanged = await client.GetJsonAsync("/api/v1/settings");
        Assert.Equal(262144, unchanged.GetProperty("maxPayloadBytes").GetInt32());
        Assert.Equal(100, unchanged.GetProperty("connectionRateLimitPerIpPerSecond").GetInt32());
    }

    [Fact]
    public async Task Put_with_missing_mistyped_or_unknown_fields_names_them()
    {
        await using var host = Host();
        var client = host.CreateClient();

        using var missing = await client.PutJsonAsync("/api/v1/settings", """{"historyRetention": "12h"}""");
        using var mistyped = await client.PutJsonAsync("/api/v1/settings", Valid.Replace("2048", "\"big\"", StringComparison.Ordinal));
        using var unknown = await client.PutJsonAsync("/api/v1/settings", Valid.Replace("\"maxPayloadBytes\"", "\"maxPayload\"", StringComparison.Ordinal));
        using var tooLarge = await client.PutJsonAsync("/api/v1/settings", Valid.Replace("2048", "268435456", StringComparison.Ordinal));

        Assert.Contains("is required", await missing.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "maxPayloadBytes"), StringComparison.Ordinal);
        await missing.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "duplicateClientId");
        Assert.Contains("whole number", await mistyped.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "maxPayloadBytes"), StringComparison.Ordinal);
        Assert.Contains("not a known field", await unknown.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "maxPayload"), StringComparison.Ordinal);
        Assert.Contains("268435455", await tooLarge.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "maxPayloadBytes"), StringComparison.Ordinal);
    }
}

public sealed class SqliteSettingsApiTests : SettingsApiTests
{
    protected override Task<Dictionary<string, string?>> DatabaseAsync() => Task.FromResult(new Dictionary<string, string?>());
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresSettingsApiTests(PostgresFixture postgres) : SettingsApiTests
{
    protected override async Task<Dictionary<string, string?>> DatabaseAsync() => new()
    {
        ["Database:Provider"] = "postgresql",
        ["ConnectionStrings:IoTix"] = await postgres.CreateDatabaseAsync("iotix_settings"),
    };
}
