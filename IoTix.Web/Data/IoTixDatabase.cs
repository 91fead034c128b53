using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Data;

/// <summary>
/// The configured database: creates contexts for the selected provider (<see cref="IDbContextFactory{TContext}"/>)
/// and brings the schema up to date. When the database cannot be reached the host keeps running: callers ask
/// <see cref="TryEnsureReadyAsync"/>, which retries at most every <c>Database:RetryAfterSeconds</c> (FR-043a).
/// </summary>
internal sealed partial class IoTixDatabase : IDbContextFactory<IoTixDbContext>, IDisposable
{
    private readonly DatabaseOptions _options;
    private readonly DbContextOptions<SqliteIoTixDbContext>? _sqlite;
    private readonly DbContextOptions<PostgresIoTixDbContext>? _postgres;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<IoTixDatabase> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _ready;
    private DateTimeOffset _nextAttempt;

    public IoTixDatabase(IOptions<DatabaseOptions> options, TimeProvider timeProvider, ILogger<IoTixDatabase> logger)
    {
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
        if (DatabaseProviders.IsPostgreSql(_options.Provider))
        {
            _postgres = new DbContextOptionsBuilder<PostgresIoTixDbContext>().UseNpgsql(_options.ConnectionString).Options;
        }
        else
        {
            var dataSource = new SqliteConnectionStringBuilder(_options.ConnectionString).DataSource;
            var folder = Path.GetDirectoryName(dataSource);
            if (!string.IsNullOrEmpty(folder))
            {
                Directory.CreateDirectory(folder);
            }

            _sqlite = new DbContextOptionsBuilder<SqliteIoTixDbContext>().UseSqlite(_options.ConnectionString).Options;
        }
    }

    /// <summary><c>sqlite</c> or <c>postgresql</c>.</summary>
    public string Provider => _postgres is null ? DatabaseProviders.Sqlite : DatabaseProviders.PostgreSql;

    /// <summary>True once the schema is known to be current and the last access succeeded.</summary>
    public bool IsReady => _ready;

    public IoTixDbContext CreateDbContext() =>
        _postgres is not null ? new PostgresIoTixDbContext(_postgres) : new SqliteIoTixDbContext(_sqlite!);

    /// <summary>
    /// True when the database is reachable and migrated. After a failure it answers false without touching the
    /// database until the retry interval has passed, so callers on a degraded database skip work cheaply.
    /// </summary>
    public async Task<bool> TryEnsureReadyAsync(CancellationToken cancellationToken = default)
    {
        if (_ready)
        {
            return true;
        }

        if (_timeProvider.GetUtcNow() < _nextAttempt)
        {
            return false;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_ready)
            {
                return true;
            }

            if (_timeProvider.GetUtcNow() < _nextAttempt)
            {
                return false;
            }

            await using var context = CreateDbContext();
            if (_options.ApplyMigrationsOnStart)
            {
                await context.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (!await context.Database.CanConnectAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException("cannot connect");
            }

            if (_sqlite is not null)
            {
                // Readers do not block the single writer.
                await context.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
            }

            _ready = true;
            LogReady(_logger, Provider, Describe());
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            _nextAttempt = _timeProvider.GetUtcNow().AddSeconds(_options.RetryAfterSeconds);
            LogUnavailable(_logger, Provider, Describe(), _options.RetryAfterSeconds, exception.Message);
            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A store's access failed: the database is treated as unavailable until the retry interval passes.</summary>
    public void ReportFailure(Exception exception)
    {
        if (!_ready)
        {
            return;
        }

        _ready = false;
        _nextAttempt = _timeProvider.GetUtcNow().AddSeconds(_options.RetryAfterSeconds);
        LogUnavailable(_logger, Provider, Describe(), _options.RetryAfterSeconds, exception.Message);
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>Where the data is, without credentials.</summary>
    private string Describe()
    {
        if (_postgres is null)
        {
            return new SqliteConnectionStringBuilder(_options.ConnectionString).DataSource;
        }

        var builder = new Npgsql.NpgsqlConnectionStringBuilder(_options.ConnectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database}";
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Database ready ({Provider}, {Location})")]
    private static partial void LogReady(ILogger logger, string provider, string location);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Database unavailable ({Provider}, {Location}); features that store data skip their writes, next attempt in {RetrySeconds} s: {Error}")]
    private static partial void LogUnavailable(ILogger logger, string provider, string location, int retrySeconds, string error);
}
