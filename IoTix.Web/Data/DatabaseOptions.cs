namespace IoTix.Web.Data;

/// <summary>Where IoTix keeps its data (configuration section <c>Database</c>, connection string <c>ConnectionStrings:IoTix</c>).</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    public const string ConnectionStringName = "IoTix";

    /// <summary>Default SQLite file, relative to the content root.</summary>
    public const string DefaultSqliteFile = "data/iotix.db";

    /// <summary><c>sqlite</c> (embedded, default) or <c>postgresql</c>. <c>Database:Provider</c>.</summary>
    public string Provider { get; set; } = DatabaseProviders.Sqlite;

    /// <summary>
    /// ADO.NET connection string. <c>ConnectionStrings:IoTix</c>. Empty with SQLite: <c>data/iotix.db</c> under the
    /// content root; a relative SQLite <c>Data Source</c> is resolved against the content root too.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>Apply pending migrations when the host starts. <c>Database:ApplyMigrationsOnStart</c>.</summary>
    public bool ApplyMigrationsOnStart { get; set; } = true;

    /// <summary>Seconds to wait before retrying after the database could not be reached. <c>Database:RetryAfterSeconds</c>.</summary>
    public int RetryAfterSeconds { get; set; } = 5;
}

/// <summary>The values of <c>Database:Provider</c>.</summary>
public static class DatabaseProviders
{
    public const string Sqlite = "sqlite";

    public const string PostgreSql = "postgresql";

    public static bool IsSqlite(string provider) => string.Equals(provider, Sqlite, StringComparison.OrdinalIgnoreCase);

    public static bool IsPostgreSql(string provider) => string.Equals(provider, PostgreSql, StringComparison.OrdinalIgnoreCase);
}
