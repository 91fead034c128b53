using IoTix.Tests.Shared;
using IoTix.Web.Broker;
using IoTix.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace IoTix.Tests.Web.Data;

public sealed class DatabaseTests
{
    [Fact]
    public void Unknown_provider_fails_validation_naming_the_key_and_the_allowed_values()
    {
        var result = new DatabaseOptionsValidator().Validate(null, new DatabaseOptions { Provider = "mysql" });

        Assert.True(result.Failed);
        Assert.Contains("Database:Provider", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("sqlite, postgresql", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Postgresql_without_a_connection_string_fails_validation_naming_the_connection_string_key()
    {
        var result = new DatabaseOptionsValidator().Validate(null, new DatabaseOptions { Provider = "PostgreSQL" });

        Assert.Contains("ConnectionStrings:IoTix", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new DatabaseOptionsValidator().Validate(null, new DatabaseOptions()).Succeeded);
    }

    [Fact]
    public async Task Host_start_fails_fast_on_an_unknown_provider()
    {
        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => BrokerInstance.StartAsync(new Dictionary<string, string> { ["Database:Provider"] = "oracle" }));

        Assert.Contains("Database:Provider 'oracle'", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "/srv/iotix/data/iotix.db")]
    [InlineData("Data Source=other/x.db", "/srv/iotix/other/x.db")]
    [InlineData("Data Source=/var/lib/iotix.db", "/var/lib/iotix.db")]
    public void Sqlite_data_source_defaults_to_data_folder_and_resolves_relative_paths_against_the_content_root(string? configured, string expected)
    {
        var resolved = DataServiceCollectionExtensions.ResolveSqlite(configured, "/srv/iotix");

        Assert.Equal(expected, new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(resolved).DataSource);
    }

    [Fact]
    public async Task Sqlite_database_is_created_in_a_new_folder_and_migrated()
    {
        var root = Directory.CreateTempSubdirectory("iotix-db-test-").FullName;
        try
        {
            using var database = Create(new DatabaseOptions { ConnectionString = DataServiceCollectionExtensions.ResolveSqlite(null, root) });

            var ready = await database.TryEnsureReadyAsync();

            Assert.True(ready);
            Assert.True(File.Exists(Path.Combine(root, "data", "iotix.db")));
            await using var context = database.CreateDbContext();
            Assert.Empty(await context.Database.GetPendingMigrationsAsync());
            Assert.Contains(await context.Database.GetAppliedMigrationsAsync(), m => m.EndsWith("_Initial", StringComparison.Ordinal));
        }
        finally
        {
            BrokerInstance.DeleteFolder(root);
        }
    }

    [Fact]
    public async Task Sqlite_returns_every_datetime_as_utc()
    {
        var connectionString = BrokerInstance.TemporarySqlite(out var folder);
        try
        {
            using var database = Create(new DatabaseOptions { ConnectionString = connectionString });

            var (updated, expires) = await RoundTripAsync(database);

            Assert.Equal(DateTimeKind.Utc, updated.Kind);
            Assert.Equal(new DateTime(2025, 3, 1, 12, 0, 0, DateTimeKind.Utc), updated);
            Assert.Equal(new DateTime(2025, 3, 1, 11, 0, 0, DateTimeKind.Utc), expires);
        }
        finally
        {
            BrokerInstance.DeleteFolder(folder);
        }
    }

    [Fact]
    public async Task Unreachable_postgresql_is_reported_unavailable_instead_of_throwing()
    {
        using var database = Create(new DatabaseOptions
        {
            Provider = DatabaseProviders.PostgreSql,
            ConnectionString = $"Host=127.0.0.1;Port={BrokerInstance.FreePort()};Username=postgres;Database=none;Timeout=2",
        });

        var ready = await database.TryEnsureReadyAsync();

        Assert.False(ready);
        Assert.False(database.IsReady);
    }

    internal static IoTixDatabase Create(DatabaseOptions options) =>
        new(Options.Create(options), TimeProvider.System, NullLogger<IoTixDatabase>.Instance);

    /// <summary>Writes an unspecified-kind and a local-kind DateTime, reads both back.</summary>
    internal static async Task<(DateTime Updated, DateTime Expires)> RoundTripAsync(IoTixDatabase database)
    {
        Assert.True(await database.TryEnsureReadyAsync());
        await using (var context = database.CreateDbContext())
        {
            context.Add(new BrokerSessionRecord
            {
                ClientId = "utc",
                ExpirySeconds = 60,
                UpdatedAt = new DateTime(2025, 3, 1, 12, 0, 0, DateTimeKind.Unspecified),
                ExpiresAt = new DateTime(2025, 3, 1, 11, 0, 0, DateTimeKind.Utc).ToLocalTime(),
            });
            await context.SaveChangesAsync();
        }

        await using var read = database.CreateDbContext();
        var record = await read.Set<BrokerSessionRecord>().SingleAsync(s => s.ClientId == "utc");
        return (record.UpdatedAt, record.ExpiresAt!.Value);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresDatabaseTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Postgresql_database_is_migrated_and_returns_every_datetime_as_utc()
    {
        using var database = DatabaseTests.Create(new DatabaseOptions { Provider = DatabaseProviders.PostgreSql, ConnectionString = await postgres.CreateDatabaseAsync("iotix_utc") });

        var (updated, expires) = await DatabaseTests.RoundTripAsync(database);

        Assert.Equal(DatabaseProviders.PostgreSql, database.Provider);
        Assert.Equal(DateTimeKind.Utc, updated.Kind);
        Assert.Equal(new DateTime(2025, 3, 1, 12, 0, 0, DateTimeKind.Utc), updated);
        Assert.Equal(new DateTime(2025, 3, 1, 11, 0, 0, DateTimeKind.Utc), expires);
    }
}
